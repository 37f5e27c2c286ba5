"""The tally handler against moto: every at-least-once fault ends in exact totals."""
from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import aws, stream_tally, totals
from tests.streams import event, image, read_moto_stream, record
from tools import reconcile

# Sequence numbers here cross from 21 to 22 digits, where string order goes wrong.
START = 10 ** 21 - 30
SHARD_A = "shardId-00000001764201600000-aaaaaaaa"
SHARD_B = "shardId-00000001764201600000-bbbbbbbb"
CHILD_A = "shardId-00000001764215000000-cccccccc"


def handle(records, shard=SHARD_A):
    return stream_tally.handle(event(records, shard))


def by_country(petition_id):
    figures = totals.read(petition_id)
    return figures["by_country"] if figures else {}


class History:
    """Signature changes as a shard would carry them, and the table's final state."""

    def __init__(self, petition="p1", start=START):
        self.petition = petition
        self.state: dict[str, dict] = {}
        self.sequence = itertools.count(start, 7)

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
        self.plan = list(plan)  # error codes, or None for a call that goes through
        client = aws.dynamodb()
        real = client.update_item

        def update_item(**kwargs):
            code = self.plan.pop(0) if self.plan else None
            if code == "after":  # the write lands, but the reply is lost
                real(**kwargs)
                raise ClientError({"Error": {"Code": "InternalServerError", "Message": "lost"}}, "UpdateItem")
            if code:
                raise ClientError({"Error": {"Code": code, "Message": "injected"}}, "UpdateItem")
            return real(**kwargs)

        monkeypatch.setattr(client, "update_item", update_item)


def deliver_until_done(records, shard=SHARD_A):
    """Lambda's loop for one shard: resume from the lowest failed record until none fails."""
    position, rounds = 0, 0
    while position < len(records):
        rounds += 1
        assert rounds < 50, "a shard never drained"
        batch = records[position:]
        failures = handle(batch, shard)["batchItemFailures"]
        if not failures:
            return
        failed = failures[0]["itemIdentifier"]
        position += [r["dynamodb"]["SequenceNumber"] for r in batch].index(failed)


def test_moto_stream_end_to_end_through_the_deployed_handler(client, petition):
    import app

    for i, country in enumerate(["GB", "GB", "FR", "de"]):
        body = {"name": f"Signer {i}", "email": f"s{i}@example.org", "country": country, "consent": True}
        assert client.post("/petitions/demo/signatures", headers={"Content-Type": "application/json"},
                           body=__import__("json").dumps(body)).status_code == 202
    # UpdateItem that creates an item: moto emits a keys-only INSERT first; it must count zero.
    aws.dynamodb().update_item(
        TableName="test-signatures", Key={"signature_key": {"S": "demo#updated"}},
        UpdateExpression="SET petition_id = :p, country = :c, #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":p": {"S": "demo"}, ":c": {"S": "GB"}, ":s": {"S": "confirmed"}})
    shards = read_moto_stream()
    for shard, records in shards:
        assert app.on_signature_change(event(records, shard), None) == {"batchItemFailures": [], "state": {}}
        app.on_signature_change(event(records, shard), None)  # the same batch again
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


def test_marks_of_idle_shards_are_pruned(tables):
    h = History()
    stream_tally._stale_marks.clear()
    stream_tally.apply_petition(stream_tally.group_by_petition([stream_tally.effect_of(h.put("a"))])["p1"],
                                "old-shard", now=1_000_000)
    later = 1_000_000 + stream_tally.MARK_RETENTION_SECONDS + 10
    for key in ("b", "c"):
        batch = stream_tally.group_by_petition([stream_tally.effect_of(h.put(key))])["p1"]
        stream_tally.apply_petition(batch, "new-shard", now=later)
    item = aws.dynamodb().get_item(TableName="test-totals", Key={"petition_id": {"S": "p1"}})["Item"]
    assert totals.mark_attribute("old-shard") not in item and totals.mark_attribute("new-shard") in item
    assert by_country("p1") == {"GB": 3}


def test_a_refused_write_drops_the_containers_view_of_idle_marks(tables, monkeypatch):
    """A write DynamoDB refuses (too large, say) must not be retried with the same marks to prune."""
    h = History()
    one = lambda rec: stream_tally.group_by_petition([stream_tally.effect_of(rec)])["p1"]  # noqa: E731
    stream_tally.reset()
    stream_tally.apply_petition(one(h.put("a")), "old-shard", now=1_000_000)
    later = 1_000_000 + stream_tally.MARK_RETENTION_SECONDS + 10
    stream_tally.apply_petition(one(h.put("b")), SHARD_A, now=later)
    assert stream_tally._stale_marks["p1"] == {"old-shard"}
    Faults(monkeypatch, ["ValidationException"])
    with pytest.raises(ClientError):
        stream_tally.apply_petition(one(h.put("c")), SHARD_A, now=later + 1)
    assert "p1" not in stream_tally._stale_marks


# ---- any schedule of faults: totals equal a recount ------------------------

operations = st.lists(
    st.tuples(st.sampled_from(["put", "put", "put", "delete"]), st.integers(0, 7),
              st.sampled_from(["GB", "FR", "DE"]),
              st.sampled_from(["confirmed", "confirmed", "pending", "invalidated"])),
    min_size=1, max_size=30)
deliveries = st.lists(
    st.tuples(st.sampled_from(["ok", "twice", "bisect", "rewind", "shuffled", "fail", "fail_after"]), st.integers(1, 8),
              st.integers(0, 10)),
    min_size=1, max_size=25)

_example = itertools.count()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops_a=operations, ops_b=operations, plan=deliveries, order=st.lists(st.booleans(), max_size=60))
def test_any_delivery_schedule_gives_exact_totals(tables, monkeypatch, ops_a, ops_b, plan, order):
    petition = f"prop{next(_example)}"
    histories = {SHARD_A: History(petition, start=START), SHARD_B: History(petition, start=START + 2)}
    streams = {}
    for shard, ops in ((SHARD_A, ops_a), (SHARD_B, ops_b)):
        h, records = histories[shard], []
        for verb, key, country, status in ops:
            key = f"{shard[-1]}{key}"  # an item lives on one shard
            if verb == "delete":
                if key in h.state:
                    records.append(h.delete(key))
            else:
                records.append(h.put(key, country, status))
        streams[shard] = records
    positions = {SHARD_A: 0, SHARD_B: 0}
    client = aws.dynamodb()
    real = client.update_item
    plan, order = list(plan), list(order)

    while plan and any(positions[s] < len(streams[s]) for s in streams):
        shard = SHARD_A if (order.pop(0) if order else True) else SHARD_B
        if positions[shard] >= len(streams[shard]):
            shard = SHARD_B if shard == SHARD_A else SHARD_A
        records, start = streams[shard], positions[shard]
        action, size, offset = plan.pop(0)
        batch = records[start:start + size]
        if action == "rewind":   # redelivery from anywhere earlier, e.g. a runner restarted from an old checkpoint
            start = max(0, start - offset)
            batch = records[start:start + size]
        if action == "shuffled":  # a redelivery out of order, then the same records again in order
            earlier = records[max(0, start - offset):start + size]
            handle(random.Random(offset).sample(earlier, k=len(earlier)), shard)
        if action == "bisect" and len(batch) > 1:
            half = len(batch) // 2
            handle(batch[:half], shard)
        if action in ("fail", "fail_after"):
            def failing(action=action, **kwargs):
                if action == "fail_after":
                    real(**kwargs)
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "UpdateItem")
            monkeypatch.setattr(client, "update_item", failing)
        reply = handle(batch, shard)
        monkeypatch.setattr(client, "update_item", real)
        if action == "twice":
            reply = handle(batch, shard)
        failures = reply["batchItemFailures"]
        if failures:
            sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
            positions[shard] = max(positions[shard], start + sequences.index(failures[0]["itemIdentifier"]))
        else:
            positions[shard] = max(positions[shard], start + len(batch))
    for shard in streams:
        deliver_until_done(streams[shard][positions[shard]:], shard)

    expected = Counter(histories[SHARD_A].expected()) + Counter(histories[SHARD_B].expected())
    figures = totals.read(petition) or {"by_country": {}, "total": 0}
    assert figures["by_country"] == dict(expected)
    assert figures["total"] == sum(expected.values())


def test_out_of_order_redelivery(tables):
    """Lambda: records processed more than once may come out of order."""
    h = History()
    r1, r2, r3 = h.put("a"), h.put("b"), h.put("c")
    handle([r3, r1, r2])
    handle([r3])
    handle([r2, r1])
    assert by_country("p1") == h.expected() == {"GB": 3}


def test_pruning_never_drops_a_mark_another_container_refreshed(tables):
    h = History()
    stream_tally._stale_marks.clear()

    def one(rec):
        return stream_tally.group_by_petition([stream_tally.effect_of(rec)])["p1"]

    t0 = 1_000_000
    stream_tally.apply_petition(one(h.put("a")), SHARD_A, now=t0)
    later = t0 + stream_tally.MARK_RETENTION_SECONDS + 10
    stream_tally.apply_petition(one(h.put("b")), SHARD_B, now=later)  # this container now sees A as idle
    seen_by_this_container = dict(stream_tally._stale_marks)
    refreshed = h.put("c")
    stream_tally.apply_petition(one(refreshed), SHARD_A, now=later + 60)  # another container writes A's mark
    stream_tally._stale_marks.clear()
    stream_tally._stale_marks.update(seen_by_this_container)
    stream_tally.apply_petition(one(h.put("d")), SHARD_B, now=later + 120)  # would prune A's live mark
    handle([refreshed], SHARD_A)  # an ordinary redelivery on A
    assert by_country("p1") == h.expected() == {"GB": 4}


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
