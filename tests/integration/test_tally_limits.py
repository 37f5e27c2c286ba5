"""The tally against DynamoDB's own limits, on DynamoDB Local (moto enforces none of them)."""
from __future__ import annotations

import itertools
import time

import pytest
from botocore.exceptions import ClientError

from chalicelib.aws import config
from chalicelib.i18n import countries
from chalicelib.tally import stream_tally, totals
from tests.support.streams import event, image, record
from tools import reconcile

pytestmark = pytest.mark.integration

SHARD = "shardId-00000001764201600000-aaaaaaaa"
FIRST = 10 ** 21
IDLE_COUNTRIES = {"GB": 3, "FR": 2, "KE": 1}


def idle_shard(i: int) -> str:
    return f"shardId-{17_642_016_00000 + i:020d}-{i:08x}"


def seed_idle_shard_items(client, petition: str, count: int, written: float) -> None:
    """``count`` shard items last written at ``written`` (epoch seconds), as shards long closed leave them."""
    requests = []
    for i in range(count):
        item = {**totals.shard_key(petition, idle_shard(i)),
                totals.MARK: {"S": stream_tally.padded(FIRST + i)}, totals.MARK_TIME: {"N": str(int(written))},
                **{totals.country_attribute(c): {"N": str(n)} for c, n in IDLE_COUNTRIES.items()}}
        requests.append({"PutRequest": {"Item": item}})
    for start in range(0, len(requests), 25):
        pending = {config.settings().totals_table: requests[start:start + 25]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None


def test_dynamodb_local_refuses_an_expression_with_a_condition_per_idle_mark(local_tables):
    """What one write with a clause per idle mark looked like: the limit these tests rely on is enforced here."""
    names, values = {}, {":cutoff": {"N": "0"}}
    for j in range(200):
        names[f"#oh{j}"], names[f"#ot{j}"] = f"hw_{idle_shard(j)}", f"ht_{idle_shard(j)}"
    with pytest.raises(ClientError) as refused:
        local_tables.update_item(
            TableName=config.settings().totals_table, Key=totals.key("p1"),
            UpdateExpression="REMOVE " + ", ".join(names),
            ConditionExpression=" AND ".join(f"#ot{j} < :cutoff" for j in range(200)),
            ExpressionAttributeNames=names, ExpressionAttributeValues=values)
    assert refused.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.slow
@pytest.mark.parametrize("idle", [200, 1000])
def test_idle_shards_never_stop_a_petition_being_counted_and_are_folded_a_bounded_number_at_a_time(
        local_tables, monkeypatch, idle):
    """Hundreds of shards idle for a day: every batch is counted, each write touches one small item."""
    seed_idle_shard_items(local_tables, "p1", idle, time.time() - 2 * 86400)
    seeded = {country: n * idle for country, n in IDLE_COUNTRIES.items()}
    sequence = itertools.count(FIRST + 10 ** 6)
    counted = dict(seeded)
    folds = []
    real_fold = stream_tally.fold_idle
    monkeypatch.setattr(stream_tally, "fold_idle", lambda *a, **k: folds.append(real_fold(*a, **k)) or folds[-1])
    for b in range(idle // stream_tally.FOLDS_PER_INVOCATION + 2):
        records = [record(next(sequence), None, image("p1", country, key=f"p1#{b}-{i}"))
                   for i, country in enumerate(["GB", "FR", "GB"])]
        assert stream_tally.handle(event(records, SHARD))["batchItemFailures"] == []
        counted["GB"] += 2
        counted["FR"] += 1
        assert totals.read("p1")["by_country"] == {c: n for c, n in counted.items() if n}  # exact while folding
    assert folds[-1] is True and folds.count(False) == idle // stream_tally.FOLDS_PER_INVOCATION - 1
    items = totals.petition_items("p1")
    assert sum(1 for item in items if totals.folded(item) is not None) == idle
    base = next(item for item in items if totals.is_base(item))
    assert totals.counts(base) == seeded and totals.folds(base) == idle
    # Once no read can straddle their folds, folded items are deleted, a bounded number per look.
    later = time.time() + stream_tally.FOLDED_GRACE_SECONDS + 5
    while not stream_tally.fold_idle("p1", now=later):
        pass
    assert [totals.shard_of(item) for item in totals.petition_items("p1")] == [None, SHARD]
    assert totals.read("p1")["by_country"] == counted


def test_the_largest_writes_fit_dynamodbs_limits(local_tables):
    """A delta for every country code: the tally's write, the fold, the revival and reconcile's repair."""
    codes = sorted(countries.names())
    sequence = itertools.count(FIRST)
    now = time.time()
    batch = stream_tally.group_by_petition([stream_tally.effect_of(
        record(next(sequence), None, image("p1", code, key=f"p1#a-{code}"))) for code in codes])["p1"]
    assert stream_tally.apply_petition(batch, SHARD, now=now - 2 * 86400) == 1
    assert stream_tally.fold_idle("p1", now=now) is True  # one transaction carrying every country
    again = stream_tally.group_by_petition([stream_tally.effect_of(
        record(next(sequence), None, image("p1", code, key=f"p1#b-{code}"))) for code in codes])["p1"]
    assert stream_tally.apply_petition(again, SHARD, now=now) == 3  # refused, revived (every country removed), applied
    figures = totals.read("p1")
    assert figures["total"] == 2 * len(codes) and set(figures["by_country"]) == set(codes)
    drift = reconcile.Drift("p1", "GB", counted=1, stored=2, settled=True)
    assert reconcile.repair(drift) is True
    assert totals.read("p1")["by_country"]["GB"] == 1


def test_source_buckets_and_recent_entries_fit_the_limits_and_shift_on_dynamodb_local(local_tables):
    """The widest write: every country, every registered source bucket plus other and direct, and a recent
    entry shift (each slot read and written in one expression); then single records that shift the slots."""
    codes = sorted(countries.names())
    buckets = [f"partner-{i:02d}-{'x' * 50}" for i in range(totals.MAX_SOURCES)] + ["other", None]
    sequence = itertools.count(FIRST)
    now = time.time()

    def signature(code, i, minute):
        new = image("p1", code, key=f"p1#{code}-{i}")
        new["created_at"] = {"S": f"2026-11-29T15:{minute:02d}:00Z"}
        bucket = buckets[i % len(buckets)]
        if bucket:
            new[totals.COUNTED_SOURCE] = {"S": bucket}
        return record(next(sequence), None, new)

    batch = stream_tally.group_by_petition([stream_tally.effect_of(signature(code, i, 0))
                                            for i, code in enumerate(codes)])["p1"]
    assert stream_tally.apply_petition(batch, SHARD, now=now) == 1
    for minute in range(1, 4):  # one record each: nine slots shift down, one is new
        one = stream_tally.group_by_petition([stream_tally.effect_of(signature("GB", 1000 + minute, minute))])["p1"]
        assert stream_tally.apply_petition(one, SHARD, now=now) == 1
        assert stream_tally.apply_petition(one, SHARD, now=now) == 1  # a replay: refused, changes nothing
    view = totals.sources_view(totals.petition_items("p1"))
    assert sum(view["by_source"].values()) == totals.read("p1")["total"] == len(codes) + 3
    assert len(view["by_source"]) == len(buckets)
    assert [r["minute"] for r in view["recent"][:4]] == [
        "2026-11-29T15:03", "2026-11-29T15:02", "2026-11-29T15:01", "2026-11-29T15:00"]
    assert len(view["recent"]) == totals.RECENT_SLOTS
    # shifted, not overwritten: seven of the first batch's ten entries are still there
    assert sum(1 for r in view["recent"] if r["minute"] == "2026-11-29T15:00") == totals.RECENT_SLOTS - 3
    assert stream_tally.fold_idle("p1", now=now + 2 * 86400) is True  # the fold carries every bucket and entry
    assert totals.sources_view(totals.petition_items("p1")) == view
    drift = reconcile.Drift("p1", totals.SOURCE_KEY + "other", counted=1, stored=view["by_source"]["other"],
                            settled=True)
    assert reconcile.repair(drift) is True
    assert totals.sources_view(totals.petition_items("p1"))["by_source"]["other"] == 1
