"""Campaigners' figures: signatures by source and the latest signatures, counted by the tally, shown to admins only."""
from __future__ import annotations

import itertools
import json
import re

import pytest

from chalicelib.tally import stream_tally, totals
from tests.support.streams import event, read_moto_stream, record

START = 10 ** 21 - 30
SHARD = "shardId-00000001764201600000-aaaaaaaa"


def image(petition="p1", country="GB", status="confirmed", key=None, source=None,
          created="2026-11-29T13:44:59Z", **extra):
    item = {"signature_key": {"S": key or f"{petition}#k"}, "petition_id": {"S": petition},
            "country": {"S": country}, "status": {"S": status}, "name": {"S": "Ann"},
            "email": {"S": "ann@example.org"}, "created_at": {"S": created}}
    if source:
        item[totals.COUNTED_SOURCE] = {"S": source}
    item.update(extra)
    return item


# ---- the pure part -------------------------------------------------------------------------------

def test_a_stored_signature_keeps_its_bucket_whatever_the_code():
    assert totals.bucket_for("partner-x", ["partner-x"]) == "partner-x"
    assert totals.bucket_for("made-up-123", ["partner-x"]) == "other"  # a script's codes grow nothing
    assert totals.bucket_for("other", ["other"]) == "other" and totals.bucket_for("direct", ["direct"]) == "other"
    assert totals.bucket_for(None, ["partner-x"]) is None and totals.bucket_for("", ()) is None
    assert totals.source_bucket(None) == "direct"  # no code, or stored before buckets existed


@pytest.mark.parametrize("old, new, sources, arrival", [
    (None, image(source="partner-x"), {("p1", "partner-x"): 1}, "2026-11-29T13:44 GB partner-x"),
    (None, image(), {("p1", "direct"): 1}, "2026-11-29T13:44 GB direct"),
    (None, image(status="pending", source="other"), {}, None),                          # not counted yet
    (image(status="pending", source="other"), image(source="other"), {("p1", "other"): 1},
     "2026-11-29T13:44 GB other"),                                                      # confirmed later
    (image(source="partner-x"), image(status="invalidated", source="partner-x"), {("p1", "partner-x"): -1}, None),
    (image(source="partner-x"), image(country="FR", source="partner-x"), {}, None),     # country moves, source stays
    (image(source="partner-x"), None, {("p1", "partner-x"): -1}, None),                 # removed
    (image(source="partner-x"), image(source="partner-x"), {}, None),                   # nothing counted changed
    # anonymisation's re-keyed copy keeps the bucket and is not a new signature
    (None, image(source="partner-x", key="p1#anon-1", anonymised_at={"S": "2027-01-01T00:00:00Z"}),
     {("p1", "partner-x"): 1}, None),
])
def test_source_and_arrival_of_each_record(old, new, sources, arrival):
    effect = stream_tally.effect_of(record(5, old, new))
    assert effect.sources == sources
    assert effect.arrivals == ({"p1": arrival} if arrival else {})


def test_a_batch_keeps_its_newest_arrivals_first_and_no_more_than_an_item_holds():
    records = [record(i, None, image(key=f"p1#{i}", created=f"2026-11-29T13:{i:02d}:00Z"), key=f"p1#{i}")
               for i in range(1, 15)]
    [batch] = stream_tally.group_by_petition([stream_tally.effect_of(r) for r in records]).values()
    assert len(batch.arrivals) == totals.RECENT_SLOTS
    assert batch.arrivals[0].startswith("2026-11-29T13:14") and batch.arrivals[-1].startswith("2026-11-29T13:05")
    assert batch.above(10).arrivals == [f"2026-11-29T13:{i} GB direct" for i in (14, 13, 12, 11)]


# ---- the tally on moto ---------------------------------------------------------------------------

class Shard:
    def __init__(self, start=START):
        self.sequence = itertools.count(start, 7)
        self.state: dict[str, dict] = {}

    def put(self, key, minute=0, **fields):
        new = image(key=f"p1#{key}", created=f"2026-11-29T14:{minute:02d}:00Z", **fields)
        old = self.state.get(key)
        self.state[key] = new
        return record(next(self.sequence), old, new, key=f"p1#{key}")

    def delete(self, key):
        return record(next(self.sequence), self.state.pop(key), None, key=f"p1#{key}")


def handle(records, shard=SHARD):
    return stream_tally.handle(event(records, shard))


def campaign(petition="p1"):
    return totals.sources_view(totals.petition_items(petition))


def test_sources_count_exactly_once_through_replays_and_changes(tables):
    s = Shard()
    first = [s.put("a", 1, source="partner-x"), s.put("b", 2, source="other"), s.put("c", 3)]
    handle(first)
    handle(first)  # a replay: a no-op
    later = [s.put("a", 4, source="partner-x", status="invalidated"), s.put("d", 5, source="partner-x"),
             s.delete("c"), s.put("e", 6, country="FR", source="partner-x")]
    handle(first[2:] + later)  # redelivered from the middle: only the new records count
    assert campaign()["by_source"] == {"partner-x": 2, "other": 1}
    assert totals.read("p1")["by_country"] == {"GB": 2, "FR": 1}
    assert sum(campaign()["by_source"].values()) == totals.read("p1")["total"]
    # every signature that started counting appears once, newest first (replays add nothing)
    assert [(r["minute"], r["country"], r["source"]) for r in campaign()["recent"]] == [
        ("2026-11-29T14:06", "FR", "partner-x"), ("2026-11-29T14:05", "GB", "partner-x"),
        ("2026-11-29T14:03", "GB", "direct"), ("2026-11-29T14:02", "GB", "other"),
        ("2026-11-29T14:01", "GB", "partner-x")]


def test_the_recent_entries_shift_and_the_item_keeps_only_its_slots(tables):
    s = Shard()
    for minute in range(25):
        handle([s.put(f"k{minute}", minute, source="partner-x")])
    [item] = totals.petition_items("p1")
    assert len(totals.recent_entries(item)) == totals.RECENT_SLOTS
    assert [r["minute"][-2:] for r in campaign()["recent"]] == [f"{m:02d}" for m in range(24, 14, -1)]
    stored = json.dumps(item)
    assert "Ann" not in stored and "ann@example.org" not in stored  # minute, country and bucket only
    from chalicelib.aws import capacity
    assert capacity.item_size(item) < 1024  # the shard item stays within one write unit


def test_two_shards_merge_into_the_newest_twenty(tables):
    a, b = Shard(), Shard(START + 3)
    for minute in range(0, 30, 2):
        handle([a.put(f"a{minute}", minute)], SHARD)
        handle([b.put(f"b{minute}", minute + 1)], "shardId-00000001764201600000-bbbbbbbb")
    minutes = [int(r["minute"][-2:]) for r in campaign()["recent"]]
    assert minutes == list(range(29, 9, -1))  # the 20 newest over both items, in order


def test_a_fold_carries_sources_and_recent_entries_into_the_base_and_a_revived_item_starts_empty(tables):
    s = Shard()
    stream_tally.apply_petition(
        stream_tally.group_by_petition([stream_tally.effect_of(s.put("a", 1, source="partner-x"))])["p1"],
        "old-shard", now=1_000_000)
    later = 1_000_000 + stream_tally.MARK_RETENTION_SECONDS + 10
    before = campaign()
    assert stream_tally.fold_idle("p1", now=later) is True
    assert campaign() == before and before["by_source"] == {"partner-x": 1} and len(before["recent"]) == 1
    base = next(i for i in totals.petition_items("p1") if totals.is_base(i))
    assert totals.source_counts(base) == {"partner-x": 1} and len(
        [e for e in totals.recent_entries(base).values() if e]) == 1
    assert stream_tally.fold_idle("p1", now=later + 1) is True and campaign() == before  # never twice
    stream_tally.apply_petition(
        stream_tally.group_by_petition([stream_tally.effect_of(s.put("b", 2))])["p1"], "old-shard", now=later + 5)
    assert campaign()["by_source"] == {"partner-x": 1, "direct": 1}
    assert [r["minute"] for r in campaign()["recent"]] == ["2026-11-29T14:02", "2026-11-29T14:01"]


# ---- signing, the public answers and the admin page ------------------------------------------------

def sign(client, i, source=None, country="GB"):
    path = "/petitions/demo/signatures"
    body = {"name": f"Signer {i}", "email": f"s{i}@example.org", "country": country, "consent": True}
    if source:
        body["source"] = source
    assert client.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(body)).status_code == 202


def tally_stream():
    from tools.stream_consumers import app_handler

    for shard, records in read_moto_stream():
        app_handler("tally")(event(records, shard), None)


@pytest.fixture
def registered(petition):
    from chalicelib.admin import operations
    from chalicelib.petitions import catalog

    operations.update("admin@example.org", "demo", {"sources": "partner-x\nnewsletter"})
    catalog.reset()
    return petition


def test_the_bucket_is_decided_on_signing_from_the_registered_codes(client, registered, aws_calls):
    from chalicelib.aws.models import Signature
    from chalicelib.petitions import catalog

    catalog.load("demo")  # the container's copy, as after the first request
    aws_calls.calls.clear()
    sign(client, 1, "partner-x")
    assert len(aws_calls.calls) == 1  # still one request (the petition comes from the container's cache)
    sign(client, 2, "made-up")
    sign(client, 3)
    stored = {s.name: s for s in Signature.scan()}
    assert (stored["Signer 1"].source, stored["Signer 1"].counted_source) == ("partner-x", "partner-x")
    assert (stored["Signer 2"].source, stored["Signer 2"].counted_source) == ("made-up", "other")
    assert stored["Signer 3"].counted_source is None


def test_public_answers_never_show_sources(client, registered):
    for i, source in enumerate(["partner-x", "partner-x", "newsletter", "made-up", None]):
        sign(client, i, source)
    tally_stream()
    assert campaign("demo")["by_source"] == {"partner-x": 2, "newsletter": 1, "other": 1, "direct": 1}
    answers = [client.get("/petitions/demo/totals"), client.get("/petitions/demo/badge.svg"),
               client.get("/petitions/demo"), client.get("/osdi/v1/petitions/demo"),
               client.get("/petitions/demo/dashboard"), client.get("/petitions/demo/sign")]
    assert client.get("/petitions/demo/totals").json_body["total"] == 5
    for answer in answers:
        assert answer.status_code == 200
        body = answer.body.decode()
        for leak in ("partner-x", "newsletter", "made-up", "by_source", "s_partner", "recent", "latest"):
            assert leak not in body, (leak, body[:200])
    assert set(answers[0].json_body) == {"petition_id", "total", "by_country", "goal", "updated_at", "targets",
                                         "targets_reached"}
    assert "sources" not in client.get("/petitions/demo").json_body


def test_the_admin_petition_page_shows_sources_latest_signatures_and_partner_links(admin, client, registered):
    for i, source in enumerate(["partner-x", "partner-x", "made-up", None]):
        sign(client, i, source, country="FR" if i == 3 else "GB")
    tally_stream()
    page = admin.get("/admin/petitions/demo").body.decode()
    by_source = page.split('id="sources-heading"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"n\">([^<]+)</td><td class=\"n\">([^<]+)</td></tr>", by_source)
    assert rows == [("partner-x", "2", "50.0%"), ("direct", "1", "25.0%"), ("other", "1", "25.0%"),
                    ("newsletter", "0", "0.0%")]
    assert "<caption" in by_source and '<th scope="col">Source</th>' in by_source
    latest = page.split('id="latest-heading"', 1)[1].split("</table>", 1)[0]
    assert latest.count("<tr><td>") == 4 and "France" in latest and "United Kingdom" in latest
    assert "Signer" not in page and "@example.org" not in page.replace("admin@example.org", "")
    assert 'value="https://sign.example.org/petitions/demo/sign?source=partner-x"' in page
    assert 'value="https://sign.example.org/petitions/demo/sign?source=newsletter"' in page

    api = admin.get("/admin/api/petitions/demo").body.decode()
    body = json.loads(api)
    assert body["petition"]["sources"] == ["newsletter", "partner-x"]
    assert body["campaign"]["by_source"][0] == {"source": "partner-x", "count": 2, "share": 0.5, "registered": True}
    assert [r["country"] for r in body["campaign"]["latest"]].count("GB") == 3
    assert "Signer" not in api


def test_registering_sources_is_checked(admin, registered):
    from chalicelib.admin import operations

    with pytest.raises(operations.Problems) as problem:
        operations.update("admin@example.org", "demo", {"sources": "ok-code\nnot a code!"})
    assert "not a source code" in problem.value.errors["sources"]
    with pytest.raises(operations.Problems) as problem:
        operations.update("admin@example.org", "demo", {"sources": "other"})
    assert "bucket of its own" in problem.value.errors["sources"]
    with pytest.raises(operations.Problems) as problem:
        operations.update("admin@example.org", "demo", {"sources": [f"p{i}" for i in range(totals.MAX_SOURCES + 1)]})
    assert f"at most {totals.MAX_SOURCES}" in problem.value.errors["sources"]
