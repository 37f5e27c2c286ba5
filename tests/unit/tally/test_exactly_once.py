"""The tally handler against moto: every at-least-once fault ends in exact totals."""
from __future__ import annotations

import itertools
import random
import time
from collections import Counter

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.aws import clients
from chalicelib.tally import stream_tally, totals
from tests.support.deliveries import SHARD_A, SHARD_B, START, deliver_until_done, deliveries, handle
from tests.support.streams import event, image, read_moto_stream, record
from tools import reconcile

CHILD_A = "shardId-00000001764215000000-cccccccc"




def by_country(petition_id):
    figures = totals.read(petition_id)
    return figures["by_country"] if figures else {}


class History:
    """Signature changes as a shard would carry them, and the table's final state."""

    def __init__(self, petition="p1", start=START, sequence=None):
        self.petition = petition
        self.state: dict[str, dict] = {}
        self.sequence = sequence or itertools.count(start, 7)  # shared by the petitions of one shard

    def put(self, key, country="GB", status="confirmed"):
        new = image(self.petition, country, status, key=f"{self.petition}#{key}")
        old = self.state.get(key)
        self.state[key] = new
        return record(next(self.sequence), old, new, key=f"{self.petition}#{key}")

    def delete(self, key):
        old = self.state.pop(key)
        return record(next(self.sequence), old, None, key=f"{self.petition}#{key}")

    def expected(self):
        return dict(Counter(i["country"]["S"] for i in self.state.values() if i["status"]["S"] == "confirmed"))


class Faults:
    """Wraps the DynamoDB client so chosen UpdateItem calls fail the way DynamoDB fails."""

    def __init__(self, monkeypatch, plan):
        self.plan = list(plan)  # error codes or exceptions, or None for a call that goes through
        client = clients.dynamodb()
        real = client.update_item

        def update_item(**kwargs):
            code = self.plan.pop(0) if self.plan else None
            if code == "after":  # the write lands, but the reply is lost
                real(**kwargs)
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "lost"}}, "UpdateItem")
            if isinstance(code, Exception):
                raise code
            if code:
                raise ClientError({"Error": {"Code": code, "Message": "injected"}}, "UpdateItem")
            return real(**kwargs)

        monkeypatch.setattr(client, "update_item", update_item)




def test_moto_stream_end_to_end_through_the_deployed_handler(client, petition):
    from tools.stream_consumers import app_handler

    for i, country in enumerate(["GB", "GB", "FR", "de"]):
        body = {"name": f"Signer {i}", "email": f"s{i}@example.org", "country": country, "consent": True}
        assert client.post("/petitions/demo/signatures", headers={"Content-Type": "application/json"},
                           body=__import__("json").dumps(body)).status_code == 202
    # UpdateItem that creates an item: moto emits a keys-only INSERT first; it must count zero.
    clients.dynamodb().update_item(
        TableName="test-signatures", Key={"signature_key": {"S": "demo#updated"}},
        UpdateExpression="SET petition_id = :p, country = :c, #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "demo"}, ":c": {"S": "GB"}, ":s": {"S": "confirmed"}})
    shards = read_moto_stream()
    for shard, records in shards:
        assert app_handler("tally")(event(records, shard), None) == {"batchItemFailures": [], "state": {}}
        app_handler("tally")(event(records, shard), None)  # the same batch again
    figures = client.get("/petitions/demo/totals").json_body
    assert figures["by_country"] == {"GB": 3, "FR": 1, "DE": 1}
    assert figures["total"] == 5
    assert reconcile.check(quiet_seconds=0) == []


def test_same_batch_twice(tables):
    h = History()
    records = [h.put("a"), h.put("b", "FR"), h.put("c")]
    handle(records)
    handle(records)
    assert by_country("p1") == h.expected() == {"GB": 2, "FR": 1}


def test_redelivery_from_the_middle_of_an_earlier_batch(tables):
    h = History()
    records = [h.put(k, c) for k, c in zip("abcdef", ["GB", "FR", "GB", "DE", "FR", "GB"], strict=False)]
    handle(records[:4])
    handle(records[2:])        # resumes inside the first batch, runs past it
    handle(records[1:3])       # an old fragment again
    assert by_country("p1") == h.expected()


def test_bisected_batches(tables):
    h = History()
    records = [h.put(k, c) for k, c in zip("abcdefgh", "GB FR GB DE FR GB US US".split(), strict=False)]
    handle(records[:4])
    handle(records[4:])
    handle(records)            # the whole batch after its halves
    handle(records[:2])
    assert by_country("p1") == h.expected()


def test_changes_and_removals_count_right(tables):
    h = History()
    records = [h.put("a"), h.put("b", status="pending"), h.put("b"), h.put("a", "FR"),
               h.put("c"), h.delete("c"), h.put("d"), h.put("d", status="invalidated")]
    handle(records)
    assert by_country("p1") == h.expected() == {"GB": 1, "FR": 1}
    assert totals.read("p1")["total"] == 2


def test_a_signature_changing_country_twice_in_one_batch_counts_once_where_it_ends(tables):
    h = History()
    records = [h.put("a", "GB"), h.put("a", "FR"), h.put("a", "DE")]
    handle(records)
    handle(records[1:])  # and again from the middle
    assert by_country("p1") == h.expected() == {"DE": 1}


def test_confirmed_then_pending_then_confirmed_again_counts_once(tables):
    h = History()
    records = [h.put("a"), h.put("a", status="pending"), h.put("a")]
    handle(records[:2])
    assert by_country("p1") == {}
    handle(records)
    assert by_country("p1") == h.expected() == {"GB": 1}


def test_forty_digit_sequence_numbers_keep_their_order(tables):
    """DynamoDB's sequence numbers run to 40 digits; crossing from 39 to 40 must not reorder them."""
    h = History(start=10 ** 39 - 15)
    records = [h.put(k, c) for k, c in zip("abcdef", ["GB", "FR", "GB", "DE", "FR", "GB"], strict=True)]
    assert {len(r["dynamodb"]["SequenceNumber"]) for r in records} == {39, 40}
    handle(records[:3])
    handle(records[1:])
    handle(records)
    assert by_country("p1") == h.expected() == {"GB": 3, "FR": 2, "DE": 1}


def test_interleaved_shards_and_a_parent_before_its_children(tables):
    a, b = History(start=START), History(start=START + 3)  # overlapping sequence ranges
    a_records = [a.put(k) for k in "abc"]
    b_records = [b.put(k, "FR") for k in "xyz"]
    handle(b_records[:2], SHARD_B)
    handle(a_records[:1], SHARD_A)
    handle(b_records, SHARD_B)
    handle(a_records, SHARD_A)
    # the parent shard closed; its child continues with records for the same items
    child_records = [a.put("a", "DE"), a.put("d")]
    handle(child_records, CHILD_A)
    handle(child_records, CHILD_A)
    expected = Counter(a.expected()) + Counter(b.expected())
    assert by_country("p1") == dict(expected)


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                  "ConditionalCheckFailedException", "TransactionCanceledException",
                                  "InternalServerError", "after"])
def test_dynamodb_error_in_the_middle_of_a_batch(tables, monkeypatch, code):
    """The second petition's write fails; Lambda redelivers from it, the first petition is not counted twice."""
    p1, p2, p3 = History("p1"), History("p2", start=START + 1), History("p3", start=START + 2)
    records = [p1.put("a"), p2.put("b", "FR"), p3.put("c", "DE"), p1.put("d"), p2.put("e", "FR")]
    records.sort(key=lambda r: int(r["dynamodb"]["SequenceNumber"]))
    Faults(monkeypatch, [None, code])
    reply = handle(records)
    if code == "ConditionalCheckFailedException":
        # the condition failed: the handler reads the stored mark from the reply and writes once more
        assert reply["batchItemFailures"] == []
    else:
        assert reply["batchItemFailures"] == [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    deliver_until_done(records)
    for h in (p1, p2, p3):
        assert by_country(h.petition) == h.expected()


def three_petitions():
    """Five records of three petitions interleaved on one shard."""
    shard = itertools.count(START, 7)
    p1, p2, p3 = History("p1", sequence=shard), History("p2", sequence=shard), History("p3", sequence=shard)
    records = [p1.put("a"), p2.put("b", "FR"), p3.put("c", "DE"), p1.put("d"), p2.put("e", "FR")]
    return (p1, p2, p3), records


REFUSED = ClientError({"Error": {"Code": "ValidationException", "Message": "x"}}, "UpdateItem")


@pytest.mark.parametrize("error", [RuntimeError("a bug"), KeyError("Attributes"), MemoryError(),
                                   EndpointConnectionError(endpoint_url="http://dynamodb"), REFUSED],
                         ids=lambda e: type(e).__name__)
def test_any_error_after_some_petitions_were_written_ends_in_a_partial_failure(tables, monkeypatch, error):
    """Not a function error: Lambda's retry or bisect of a half-applied batch may come out of order."""
    histories, records = three_petitions()
    Faults(monkeypatch, [None, error])  # p1 written, p2 fails, p3 written
    reply = handle(records)
    assert reply["batchItemFailures"] == [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    assert by_country("p1") == histories[0].expected() and by_country("p3") == histories[2].expected()
    deliver_until_done(records)
    for h in histories:
        assert by_country(h.petition) == h.expected()


class Invocation:
    """Lambda's context for one invocation whose time runs short once ``writes`` UpdateItems went out."""

    def __init__(self, monkeypatch, writes: int):
        self.left, self.calls = writes, []
        client = clients.dynamodb()
        real = client.update_item

        def update_item(**kwargs):
            self.calls.append(kwargs)
            self.left -= 1
            return real(**kwargs)

        monkeypatch.setattr(client, "update_item", update_item)

    def get_remaining_time_in_millis(self) -> int:
        return 60_000 if self.left > 0 else stream_tally.Deadline.RESERVE_MS - 1


def test_the_tally_stops_before_its_deadline_and_reports_what_is_left(tables, monkeypatch):
    histories, records = three_petitions()
    context = Invocation(monkeypatch, writes=1)
    reply = stream_tally.handle(event(records, SHARD_A), context)
    assert len(context.calls) == 1  # p1 written; p2 and p3 not started
    assert reply["batchItemFailures"] == [{"itemIdentifier": records[1]["dynamodb"]["SequenceNumber"]}]
    deliver_until_done(records)
    for h in histories:
        assert by_country(h.petition) == h.expected()


def test_no_second_write_is_started_when_the_deadline_is_near(tables, monkeypatch):
    h = History()
    records = [h.put(k) for k in "abcd"]
    handle(records[:2])
    context = Invocation(monkeypatch, writes=1)
    reply = stream_tally.handle(event(records, SHARD_A), context)  # its first write's condition fails
    assert len(context.calls) == 1
    assert reply["batchItemFailures"] == [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    deliver_until_done(records)
    assert by_country("p1") == h.expected() == {"GB": 4}


def test_the_deployed_handler_hands_lambdas_context_to_the_tally(tables, monkeypatch):
    from tools.stream_consumers import app_handler

    _, records = three_petitions()
    context = Invocation(monkeypatch, writes=2)
    reply = app_handler("tally")(event(records, SHARD_A), context)
    assert reply["batchItemFailures"] == [{"itemIdentifier": records[2]["dynamodb"]["SequenceNumber"]}]


def test_a_removal_whose_arrival_was_skipped_is_never_published_negative_and_reconcile_repairs_it(
        client, petition, capsys, tmp_path):
    """A REMOVE applied after its INSERT was given up on: /totals shows no negative, a metric says so."""
    import json

    from chalicelib.aws import metrics

    for i, country in enumerate(["GB", "FR"]):
        body = {"name": f"Signer {i}", "email": f"s{i}@example.org", "country": country, "consent": True}
        assert client.post("/petitions/demo/signatures", body=json.dumps(body),
                           headers={"Content-Type": "application/json"}).status_code == 202
    [gb_key] = [item["signature_key"]["S"] for item in clients.dynamodb().scan(TableName="test-signatures")["Items"]
                if item["country"]["S"] == "GB"]
    clients.dynamodb().delete_item(TableName="test-signatures", Key={"signature_key": {"S": gb_key}})
    [(shard, records)] = read_moto_stream()
    insert_gb = next(r for r in records if r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["signature_key"]["S"]
                     == gb_key and r["dynamodb"].get("NewImage", {}).get("country"))
    handle([r for r in records if r is not insert_gb], shard)  # Lambda gave up on the INSERT

    assert totals.summed(totals.petition_items("demo"))["GB"] == -1
    capsys.readouterr()
    figures = client.get("/petitions/demo/totals").json_body
    assert figures["by_country"] == {"FR": 1} and figures["total"] == 1
    [emitted] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if metrics.NAMESPACE in line]
    assert emitted[metrics.NEGATIVE_COUNTRY_TOTALS] == 1 and emitted["countries"] == ["GB"]
    assert emitted["_aws"]["CloudWatchMetrics"] == [{  # CloudWatch's embedded metric format
        "Namespace": "Countersign", "Dimensions": [["FunctionName"]],
        "Metrics": [{"Name": "NegativeCountryTotals", "Unit": "Count"}]}]

    checkpoints = tmp_path / "stream-checkpoints.json"
    arn = clients.dynamodb().describe_table(TableName="test-signatures")["Table"]["LatestStreamArn"]
    checkpoints.write_text(json.dumps({arn: {shard: {"sequence": records[-1]["dynamodb"]["SequenceNumber"]}}}))
    assert reconcile.main(["--repair", "--quiet-seconds", "0", "--runner-checkpoints", str(checkpoints)]) == 0
    assert reconcile.check(quiet_seconds=0) == []
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {"FR": 1}


def test_failed_write_of_the_first_petition_resumes_from_its_first_record(tables, monkeypatch):
    p1, p2 = History("p1"), History("p2", start=START + 1)
    records = sorted([p1.put("a"), p2.put("b", "FR"), p1.put("c")], key=lambda r: int(r["dynamodb"]["SequenceNumber"]))
    Faults(monkeypatch, ["ThrottlingException"])
    assert handle(records)["batchItemFailures"] == [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    deliver_until_done(records)
    assert by_country("p1") == {"GB": 2} and by_country("p2") == {"FR": 1}


def test_poison_record_is_reported_retried_then_skipped_without_blocking(tables, caplog):
    h = History()
    good = [h.put("a"), h.put("b")]
    poison = record(int(good[0]["dynamodb"]["SequenceNumber"]) + 1, None,
                    {"status": {"S": "confirmed"}, "petition_id": {"S": "p1"}, "name": {"S": "Secret Name"}})
    records = [good[0], poison, good[1]]
    for attempt in range(3):  # Lambda retries a bounded number of times ...
        reply = handle(records[1:] if attempt else records)
        assert reply["batchItemFailures"] == [{"itemIdentifier": poison["dynamodb"]["SequenceNumber"]}]
    handle(records[2:])        # ... then moves past it
    assert by_country("p1") == h.expected() == {"GB": 2}
    assert "Secret Name" not in caplog.text


def test_event_without_a_shard_is_a_configuration_error(tables):
    with pytest.raises(stream_tally.MissingShard):
        stream_tally.handle({"Records": []})


def test_second_write_only_on_redelivery_and_at_most_two(tables, aws_calls):
    h = History()
    records = [h.put(k, c) for k, c in zip("abcd", ["GB", "FR", "GB", "DE"], strict=False)]
    handle(records[:2])
    aws_calls.calls.clear()
    handle(records)  # overlaps: the first write's condition fails, the second applies the new part
    assert aws_calls.writes() == ["UpdateItem", "UpdateItem"]
    aws_calls.calls.clear()
    big = [h.put(f"k{i}", random.choice(["GB", "FR", "US"])) for i in range(300)]
    handle(big)
    assert aws_calls.writes() == ["UpdateItem"]  # 300 signatures, one counter write
    assert by_country("p1") == h.expected()


# ---- shard items: one per shard, folded into the base item when idle --------

T0 = 1_000_000
LATER = T0 + stream_tally.MARK_RETENTION_SECONDS + 10


def one(record_, petition="p1"):
    return stream_tally.group_by_petition([stream_tally.effect_of(record_)])[petition]


def items_of(petition="p1"):
    return {totals.shard_of(item) or "base": item for item in totals.petition_items(petition)}


def test_each_shard_counts_into_its_own_item_and_the_reader_sums_them(tables, aws_calls):
    a, b = History(start=START), History(start=START + 3)
    handle([a.put("a"), a.put("b", "FR")], SHARD_A)
    handle([b.put("x", "FR")], SHARD_B)
    stored = items_of()
    assert set(stored) == {SHARD_A, SHARD_B}
    assert totals.counts(stored[SHARD_A]) == {"GB": 1, "FR": 1} and totals.counts(stored[SHARD_B]) == {"FR": 1}
    aws_calls.calls.clear()
    handle([a.put("c")], SHARD_A)
    [write] = aws_calls.writes()
    assert write.params["Key"] == totals.shard_key("p1", SHARD_A)  # never the item another shard writes
    assert by_country("p1") == {"GB": 2, "FR": 2}


def test_an_idle_shard_item_is_folded_into_the_base_item_once(tables):
    h = History()
    stream_tally.apply_petition(one(h.put("a")), "old-shard", now=T0)
    stream_tally.apply_petition(one(h.put("b", "FR")), "new-shard", now=LATER)
    before = by_country("p1")
    assert stream_tally.fold_idle("p1", now=LATER) is True
    stored = items_of()
    assert totals.counts(stored["base"]) == {"GB": 1} and totals.folds(stored["base"]) == 1
    assert totals.folded(stored["old-shard"]) == 1 and totals.folded(stored["new-shard"]) is None
    assert by_country("p1") == before == {"GB": 1, "FR": 1}
    assert stream_tally.fold_idle("p1", now=LATER + 1) is True  # folded already: nothing moves twice
    assert totals.folds(items_of()["base"]) == 1 and by_country("p1") == before
    # Deleted only once no read that began before the fold can still be going on.
    stream_tally.fold_idle("p1", now=LATER + stream_tally.FOLDED_GRACE_SECONDS + 5)
    assert set(items_of()) == {"base", "new-shard"} and by_country("p1") == before


def test_a_read_racing_a_fold_counts_the_folded_item_once(tables):
    """A Query reads the base item first; a fold may land before it, between it and the shard item, or after."""
    h = History()
    stream_tally.apply_petition(one(h.put("a")), "old-shard", now=T0)
    stream_tally.apply_petition(one(h.put("b", "FR")), "new-shard", now=LATER)
    before = items_of()
    stream_tally.fold_idle("p1", now=LATER)
    after = items_of()
    assert "base" not in before  # the petition's base item is made by its first fold here
    for base, shard_item in [(before, before), (before, after), (after, after)]:
        items = [item for item in (base.get("base"), shard_item["old-shard"], after["new-shard"]) if item]
        assert totals.summed(items) == {"GB": 1, "FR": 1}


def test_a_shard_that_writes_again_after_its_item_was_folded_counts_from_zero(tables):
    h = History()
    stream_tally.apply_petition(one(h.put("a")), "old-shard", now=T0)
    stream_tally.fold_idle("p1", now=LATER)
    assert stream_tally.apply_petition(one(h.put("b")), "old-shard", now=LATER + 5) == 3  # refused, revived, applied
    stored = items_of()
    assert totals.folded(stored["old-shard"]) is None and totals.counts(stored["old-shard"]) == {"GB": 1}
    assert by_country("p1") == h.expected() == {"GB": 2}


def test_a_fold_never_takes_an_item_its_shard_wrote_to_since_it_was_read(tables, monkeypatch):
    h = History()
    stream_tally.apply_petition(one(h.put("a")), SHARD_A, now=T0)
    seen = totals.petition_items("p1")
    stream_tally.apply_petition(one(h.put("b")), SHARD_A, now=LATER)  # the shard wrote again
    monkeypatch.setattr(totals, "petition_items", lambda petition_id: seen)
    assert stream_tally.fold_idle("p1", now=LATER + 1) is False
    monkeypatch.undo()
    assert totals.folded(items_of()[SHARD_A]) is None
    assert by_country("p1") == {"GB": 2}


def test_the_tally_looks_for_idle_items_at_most_once_an_hour_per_petition(tables, aws_calls):
    h = History()
    handle([h.put("a")])
    handle([h.put("b")])
    assert aws_calls.meter.count("Query") == 1
    stream_tally.reset()
    handle([h.put("c")])
    assert aws_calls.meter.count("Query") == 2


def test_a_failing_fold_never_fails_the_batch(tables, monkeypatch):
    h = History()
    monkeypatch.setattr(stream_tally, "fold_idle", lambda *a, **k: 1 / 0)
    assert handle([h.put("a")])["batchItemFailures"] == []
    assert by_country("p1") == {"GB": 1}


# ---- any schedule of faults: totals equal a recount ------------------------

operations = st.lists(
    st.tuples(st.sampled_from(["put", "put", "put", "delete"]), st.integers(0, 1), st.integers(0, 7),
              st.sampled_from(["GB", "FR", "DE"]),
              st.sampled_from(["confirmed", "confirmed", "pending", "invalidated"])),
    min_size=1, max_size=30)

_example = itertools.count()


def signatures_table_holds(histories) -> None:
    """Store the histories' final signatures, so that reconcile recounts what the stream carried."""
    client = clients.dynamodb()
    for h in histories:
        for key, item in h.state.items():
            client.put_item(TableName="test-signatures", Item={**item, "signature_key": {"S": f"{h.petition}#{key}"}})


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops_a=operations, ops_b=operations, plan=deliveries, order=st.lists(st.booleans(), max_size=60))
def test_any_delivery_schedule_gives_exact_totals(tables, monkeypatch, ops_a, ops_b, plan, order):
    """Two shards, each carrying two petitions, delivered the ways Lambda may deliver them.

    Besides redeliveries and DynamoDB errors: errors of any kind after k of a
    batch's petitions were written, invocations that run short of time,
    already-delivered records again in reverse order across invocations, and
    batches given up on after their retries (so a REMOVE may come without its
    INSERT), and 25 hours passing (every record delivered so far expires and
    the idle shard items are folded into the base item). Totals are never
    negative in the published view, exact unless a batch was given up on, and
    exact after reconcile's repair in every case.
    """
    example = next(_example)
    petitions = [f"prop{example}a", f"prop{example}b"]
    histories: dict[str, list[History]] = {}
    streams = {}
    for shard, ops, start in ((SHARD_A, ops_a, START), (SHARD_B, ops_b, START + 2)):
        sequence = itertools.count(start, 7)
        pair = histories[shard] = [History(petition, sequence=sequence) for petition in petitions]
        records = []
        for verb, which, key, country, status in ops:
            h, key = pair[which], f"{shard[-1]}{key}"  # an item lives on one shard
            if verb == "delete":
                if key in h.state:
                    records.append(h.delete(key))
            else:
                records.append(h.put(key, country, status))
        streams[shard] = records
    positions = {SHARD_A: 0, SHARD_B: 0}
    delivered = {SHARD_A: [], SHARD_B: []}  # (start, stop) of each batch handed over, per shard
    client = clients.dynamodb()
    real = client.update_item
    plan, order = list(plan), list(order)
    skipped = False
    floors = {SHARD_A: 0, SHARD_B: 0}  # records before these have expired: never delivered again
    handed = {SHARD_A: 0, SHARD_B: 0}  # records before these were handed to the tally at least once
    days = 0

    def published_figures_are_never_negative():
        for petition in petitions:
            figures = totals.read(petition) or {"by_country": {}, "total": 0}
            assert all(n > 0 for n in figures["by_country"].values())
            assert figures["total"] == sum(figures["by_country"].values())

    while plan and any(positions[s] < len(streams[s]) for s in streams):
        shard = SHARD_A if (order.pop(0) if order else True) else SHARD_B
        if positions[shard] >= len(streams[shard]):
            shard = SHARD_B if shard == SHARD_A else SHARD_A
        records, start = streams[shard], positions[shard]
        action, size, offset = plan.pop(0)
        batch = records[start:start + size]
        context = None
        if action == "fold":  # 25 hours pass: what was handed over expires, idle shard items are folded
            days += 1
            for s in streams:  # Lambda skips expired records it has not finished (MaximumRecordAgeInSeconds)
                skipped = skipped or positions[s] < handed[s]
                positions[s] = floors[s] = max(positions[s], handed[s])
            figures = [totals.read(petition) for petition in petitions]
            later = time.time() + days * (stream_tally.MARK_RETENTION_SECONDS + 2 * stream_tally.FOLDED_GRACE_SECONDS)
            for petition in petitions:
                assert stream_tally.fold_idle(petition, now=later)
            assert [totals.read(petition) for petition in petitions] == figures  # a fold moves nothing
            continue
        if action == "skip":  # retries exhausted: Lambda moves past the batch without counting it
            positions[shard] = start + len(batch)
            skipped = skipped or bool(batch)
            continue
        if action == "rewind":   # redelivery from anywhere earlier, e.g. a runner restarted from an old checkpoint
            start = max(floors[shard], start - offset)
            batch = records[start:start + size]
        if action == "shuffled":  # a redelivery out of order, then the same records again in order
            earlier = records[max(floors[shard], start - offset):start + size]
            handle(random.Random(offset).sample(earlier, k=len(earlier)), shard)
        if action == "reordered":  # batches delivered before come again, the latest first, one invocation each
            for done_start, done_stop in reversed(delivered[shard][-1 - offset % 4:]):
                if done_start >= floors[shard]:
                    handle(records[done_start:done_stop], shard)
        if action == "bisect" and len(batch) > 1:
            half = len(batch) // 2
            handle(batch[:half], shard)
        if action in ("fail", "fail_after"):
            def failing(action=action, **kwargs):
                if action == "fail_after":
                    real(**kwargs)
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "UpdateItem")
            monkeypatch.setattr(client, "update_item", failing)
        if action == "crash":  # any error, after k of the batch's petitions were written
            Faults(monkeypatch, [None] * (offset % 3) + [RuntimeError("a bug")])
        if action == "timeout":  # the invocation's time runs short after k writes
            context = Invocation(monkeypatch, writes=offset % 3)
        handed[shard] = max(handed[shard], start + len(batch))
        reply = stream_tally.handle(event(batch, shard), context)
        monkeypatch.setattr(client, "update_item", real)
        if action == "twice":
            reply = handle(batch, shard)
        failures = reply["batchItemFailures"]
        if failures:
            sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
            done = sequences.index(failures[0]["itemIdentifier"])
        else:
            done = len(batch)
        if done:
            delivered[shard].append((start, start + done))
        positions[shard] = max(positions[shard], start + done)
        published_figures_are_never_negative()
    for shard in streams:
        deliver_until_done(streams[shard][positions[shard]:], shard)
    published_figures_are_never_negative()

    def expected(petition):
        return dict(sum((Counter(h.expected()) for pair in histories.values() for h in pair
                         if h.petition == petition), Counter()))

    if not skipped:
        for petition in petitions:
            assert by_country(petition) == expected(petition)
    signatures_table_holds([h for pair in histories.values() for h in pair])
    for drift in reconcile.check(segments=1, quiet_seconds=0):
        assert drift.petition_id in petitions and skipped
        assert reconcile.repair(drift)
    assert reconcile.check(segments=1, quiet_seconds=0) == []
    for petition in petitions:
        assert by_country(petition) == expected(petition)
        assert (totals.read(petition) or {"total": 0})["total"] == sum(expected(petition).values())


def test_out_of_order_redelivery(tables):
    """Lambda: records processed more than once may come out of order."""
    h = History()
    r1, r2, r3 = h.put("a"), h.put("b"), h.put("c")
    handle([r3, r1, r2])
    handle([r3])
    handle([r2, r1])
    assert by_country("p1") == h.expected() == {"GB": 3}


def test_failures_name_the_record_exactly_as_the_stream_wrote_it(tables, monkeypatch):
    """DynamoDB Local pads sequence numbers with zeros; Lambda matches the identifier as text."""
    h = History()
    rec = h.put("a")
    rec["dynamodb"]["SequenceNumber"] = "000000000000000000003"
    Faults(monkeypatch, ["ThrottlingException"])
    assert handle([rec])["batchItemFailures"] == [{"itemIdentifier": "000000000000000000003"}]


def test_reconcile_finds_no_drift_after_a_faulty_run(client, petition, monkeypatch, capsys):
    """Real stream records from moto, delivered with every kind of fault, then a recount."""
    import json

    from tools import petition_admin

    petition_admin.create("second", "Second petition", "Another.", 1000)
    for i in range(24):
        body = {"name": f"Signer {i}", "email": f"s{i}@example.org", "country": ["GB", "FR", "KE"][i % 3],
                "consent": True}
        for _attempt in range(2 if i % 5 == 0 else 1):  # some sign twice
            assert client.post(f"/petitions/{['demo', 'second'][i % 2]}/signatures", body=json.dumps(body),
                               headers={"Content-Type": "application/json"}).status_code == 202
    [(shard, records)] = read_moto_stream()
    handle(records[:10], shard)
    handle(records[5:15], shard)                                   # redelivered from the middle
    Faults(monkeypatch, ["after", "ThrottlingException", None, "ProvisionedThroughputExceededException"])
    deliver_until_done(records[15:], shard)                        # lost replies and throttling
    handle(list(reversed(records)), shard)                         # everything again, out of order
    assert reconcile.main(["--quiet-seconds", "0"]) == 0
    assert "no drift" in capsys.readouterr().out
