"""The tally against DynamoDB's own limits, on DynamoDB Local (moto enforces none of them)."""
from __future__ import annotations

import itertools
import time

import pytest
from botocore.exceptions import ClientError

from chalicelib import config, stream_tally, totals
from tests.streams import event, image, record

pytestmark = pytest.mark.integration

SHARD = "shardId-00000001764201600000-aaaaaaaa"
FIRST = 10 ** 21


def idle_shard(i: int) -> str:
    return f"shardId-{17_642_016_00000 + i:020d}-{i:08x}"


def seed_idle_marks(client, petition: str, count: int, written: float) -> None:
    """A totals item carrying ``count`` marks of shards last written at ``written`` (epoch seconds)."""
    item = {**totals.key(petition), totals.GOAL: {"N": "1000"}}
    for i in range(count):
        item[totals.mark_attribute(idle_shard(i))] = {"S": stream_tally.padded(FIRST + i)}
        item[totals.mark_time_attribute(idle_shard(i))] = {"N": str(int(written))}
    client.put_item(TableName=config.settings().totals_table, Item=item)


def stored(client, petition: str) -> dict:
    return client.get_item(TableName=config.settings().totals_table, Key=totals.key(petition),
                           ConsistentRead=True)["Item"]


def test_dynamodb_local_refuses_an_expression_with_a_condition_per_idle_mark(local_tables):
    """What the tally used to send with 200 idle marks: the limit these tests rely on is enforced here."""
    seed_idle_marks(local_tables, "p1", 200, time.time() - 2 * 86400)
    names, removes, conditions = {}, [], []
    for j in range(200):
        names[f"#oh{j}"] = totals.mark_attribute(idle_shard(j))
        names[f"#ot{j}"] = totals.mark_time_attribute(idle_shard(j))
        removes += [f"#oh{j}", f"#ot{j}"]
        conditions.append(f"#ot{j} < :cutoff")
    with pytest.raises(ClientError) as refused:
        local_tables.update_item(
            TableName=config.settings().totals_table, Key=totals.key("p1"),
            UpdateExpression="REMOVE " + ", ".join(removes), ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names, ExpressionAttributeValues={":cutoff": {"N": "0"}})
    assert refused.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize("idle", [200, 1000])
def test_idle_marks_never_stop_a_petition_being_counted(local_tables, idle):
    seed_idle_marks(local_tables, "p1", idle, time.time() - 2 * 86400)
    sequence = itertools.count(FIRST + 10 ** 6)
    counted = 0
    batches = idle // stream_tally.PRUNE_PER_WRITE + 2
    for b in range(batches):
        records = [record(next(sequence), None, image("p1", country, key=f"p1#{b}-{i}"))
                   for i, country in enumerate(["GB", "FR", "GB"])]
        assert stream_tally.handle(event(records, SHARD))["batchItemFailures"] == []
        counted += len(records)
        assert totals.read("p1")["total"] == counted  # every batch counted, none refused
    item = stored(local_tables, "p1")
    assert totals.mark_times(item).keys() == {SHARD}  # every idle mark pruned, a bounded number per write
    assert totals.counts(item) == {"GB": 2 * batches, "FR": batches}


def test_a_batch_with_every_country_and_idle_marks_to_prune_fits_in_one_write(local_tables):
    """The largest write the tally makes: a delta for every country code and a full share of pruning."""
    from chalicelib import countries

    seed_idle_marks(local_tables, "p1", stream_tally.PRUNE_PER_WRITE * 3, time.time() - 2 * 86400)
    codes = sorted(countries.names())
    sequence = itertools.count(FIRST + 10 ** 6)
    for round_ in range(3):
        records = [record(next(sequence), None, image("p1", code, key=f"p1#{round_}-{code}")) for code in codes]
        assert stream_tally.handle(event(records, SHARD))["batchItemFailures"] == []
    figures = totals.read("p1")
    assert figures["total"] == 3 * len(codes) and len(figures["by_country"]) == len(codes)
