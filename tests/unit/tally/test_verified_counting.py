"""The tally with verified signatures: pending inserts, mail claims, resends, confirmations and TTL removals.

Only a confirmation moves a count, once; everything else a pending signature
goes through counts nothing, however the stream delivers it.
"""
from __future__ import annotations

import itertools
import random
from collections import Counter

from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.aws import clients
from chalicelib.tally import totals
from tests.support.deliveries import SHARD_A, SHARD_B, START, deliver_until_done, deliveries, handle
from tests.support.streams import record

# What DynamoDB says about a deletion by TTL (Lambda passes it on).
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


class VerifiedHistory:
    """A pending signature's life as the signatures stream carries it, and the table's final state."""

    def __init__(self, petition: str, start: int):
        self.petition = petition
        self.state: dict[str, dict] = {}
        self.sequence = itertools.count(start, 7)

    def _key(self, key: str) -> str:
        return f"{self.petition}#{key}"

    def _write(self, key: str, new: dict | None, name: str | None = None) -> dict:
        old = self.state.get(key)
        if new is None:
            self.state.pop(key, None)
        else:
            self.state[key] = new
        rec = record(next(self.sequence), old, new, key=self._key(key))
        if name:
            rec["eventName"] = name
        return rec

    def sign(self, key: str, country: str) -> dict | None:
        if key in self.state:
            return None  # a repeat: the conditional put changes nothing and emits nothing
        return self._write(key, {
            "signature_key": {"S": self._key(key)}, "petition_id": {"S": self.petition}, "country": {"S": country},
            "status": {"S": "pending"}, "name": {"S": "Ann"}, "email": {"S": "ann@example.org"},
            "expires_at": {"N": "1800000000"}, "mail_requested": {"N": "1"}, "mail_sent": {"N": "0"}})

    def _change(self, key: str, **attributes) -> dict | None:
        old = self.state.get(key)
        if old is None or old["status"]["S"] != "pending":
            return None  # the condition of every one of these writes needs a pending signature
        new = {**old, **attributes}
        if attributes.get("status") == {"S": "confirmed"}:
            new.pop("expires_at", None)
        return self._write(key, new)

    def claim(self, key: str) -> dict | None:
        old = self.state.get(key)
        if old is None or old["mail_sent"] == old["mail_requested"]:
            return None
        return self._change(key, mail_sent=old["mail_requested"])

    def resend(self, key: str) -> dict | None:
        old = self.state.get(key)
        if old is None:
            return None
        return self._change(key, mail_requested={"N": str(int(old["mail_requested"]["N"]) + 1)},
                            resent_at={"L": [{"N": "1800000000"}]})

    def confirm(self, key: str) -> dict | None:
        return self._change(key, status={"S": "confirmed"}, confirmed_at={"S": "2026-12-01T09:00:00Z"})

    def expire(self, key: str) -> dict | None:
        old = self.state.get(key)
        if old is None or old["status"]["S"] != "pending":
            return None  # confirmed signatures have no TTL attribute
        removal = self._write(key, None, "REMOVE")
        removal["userIdentity"] = TTL_IDENTITY
        return removal

    def expected(self) -> dict[str, int]:
        return dict(Counter(i["country"]["S"] for i in self.state.values() if i["status"]["S"] == "confirmed"))


def by_country(petition_id):
    figures = totals.read(petition_id)
    return figures["by_country"] if figures else {}


def test_each_step_of_a_verified_signature_counts_once_only_at_confirmation(tables):
    h = VerifiedHistory("v1", START)
    steps = {"insert": h.sign("a", "GB"), "claim": h.claim("a"), "resend": h.resend("a"), "claim again": h.claim("a")}
    for name, rec in steps.items():
        handle([rec])
        handle([rec])  # redelivered
        assert by_country("v1") == {}, name
    confirmation = h.confirm("a")
    handle([confirmation])
    handle(list(steps.values()) + [confirmation])  # everything again
    assert by_country("v1") == {"GB": 1}


def test_a_ttl_removal_of_a_pending_signature_counts_nothing(tables):
    h = VerifiedHistory("v2", START)
    records = [h.sign("a", "FR"), h.claim("a"), h.expire("a"), h.sign("b", "FR"), h.confirm("b")]
    assert records[2]["eventName"] == "REMOVE" and records[2]["userIdentity"] == TTL_IDENTITY
    handle(records)
    handle(records[1:3])
    assert by_country("v2") == h.expected() == {"FR": 1}


operations = st.lists(
    st.tuples(st.sampled_from(["sign", "sign", "claim", "resend", "confirm", "confirm", "expire"]),
              st.integers(0, 5), st.sampled_from(["GB", "FR", "KE"])),
    min_size=1, max_size=30)
_example = itertools.count()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops_a=operations, ops_b=operations, plan=deliveries, order=st.lists(st.booleans(), max_size=60))
def test_any_delivery_schedule_of_verified_signatures_gives_exact_totals(tables, monkeypatch, ops_a, ops_b,
                                                                           plan, order):
    """The tally's delivery schedules (redelivery, bisection, rewinds, shuffles, failed writes) over verification."""
    petition = f"vprop{next(_example)}"
    histories = {SHARD_A: VerifiedHistory(petition, START), SHARD_B: VerifiedHistory(petition, START + 2)}
    streams: dict[str, list[dict]] = {}
    for shard, ops in ((SHARD_A, ops_a), (SHARD_B, ops_b)):
        h = histories[shard]
        records = []
        for verb, key, country in ops:
            key = f"{shard[-1]}{key}"  # an item lives on one shard
            rec = h.sign(key, country) if verb == "sign" else getattr(h, verb)(key)
            if rec is not None:
                records.append(rec)
        streams[shard] = records

    client = clients.dynamodb()
    real = client.update_item
    positions = {SHARD_A: 0, SHARD_B: 0}
    plan, order = list(plan), list(order)
    while plan and any(positions[s] < len(streams[s]) for s in streams):
        shard = SHARD_A if (order.pop(0) if order else True) else SHARD_B
        if positions[shard] >= len(streams[shard]):
            shard = SHARD_B if shard == SHARD_A else SHARD_A
        records, start = streams[shard], positions[shard]
        action, size, offset = plan.pop(0)
        if action == "rewind":
            start = max(0, start - offset)
        batch = records[start:start + size]
        if action == "shuffled":
            earlier = records[max(0, start - offset):start + size]
            handle(random.Random(offset).sample(earlier, k=len(earlier)), shard)
        if action == "bisect" and len(batch) > 1:
            handle(batch[:len(batch) // 2], shard)
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
