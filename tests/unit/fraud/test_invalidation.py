"""Invalidation and revalidation on moto: preview, conditional changes, checkpoint, pacing, audit."""

import pytest

from chalicelib.audit import trail
from chalicelib.aws import models
from chalicelib.fraud import identity, invalidation
from chalicelib.fraud.invalidation import BadCriteria, Criteria, Direction
from tests.support.invalidation import SCRIPT, sign, statuses


@pytest.fixture


def signed(petition):
    sign(30, SCRIPT, "GB")
    sign(10, SCRIPT, "FR", domain="mail.bulk.example")
    sign(20, identity.Client("198.51.100.1", "firefox"), "GB")
    return petition


def by_ip(address="203.0.113.7", **more):
    return invalidation.criteria_with_address("demo", address, **more)


def test_preview_counts_by_country_and_changes_nothing(signed):
    assert invalidation.preview(by_ip()) == {"GB": 30, "FR": 10}
    assert statuses() == {"confirmed": 60}


def test_apply_invalidates_exactly_the_matches_and_remembers_their_status(signed):
    progress = invalidation.apply(by_ip(), Direction.INVALIDATE, "tester", rate=0)
    assert (progress.changed, progress.skipped, progress.complete) == (40, 0, True)
    assert progress.by_country == {"GB": 30, "FR": 10}
    assert statuses() == {"invalidated": 40, "confirmed": 20}
    assert {s.invalidated_from for s in models.Signature.scan() if s.status == "invalidated"} == {"confirmed"}


def test_running_twice_changes_nothing_and_revalidate_restores(signed):
    invalidation.apply(by_ip(), Direction.INVALIDATE, "tester", rate=0)
    again = invalidation.apply(by_ip(), Direction.INVALIDATE, "tester", rate=0)
    assert again.changed == 0 and statuses() == {"invalidated": 40, "confirmed": 20}
    back = invalidation.apply(by_ip(), Direction.REVALIDATE, "tester", rate=0)
    assert back.changed == 40 and statuses() == {"confirmed": 60}
    assert all(s.invalidated_from is None for s in models.Signature.scan())


def test_criteria_combine(signed):
    assert invalidation.preview(by_ip(domain="**.bulk.example")) == {"FR": 10}
    assert invalidation.preview(by_ip(country="gb")) == {"GB": 30}
    assert invalidation.preview(Criteria("demo", domain="example.org")) == {"GB": 50}
    assert invalidation.preview(Criteria("demo", since="2026-11-29T07:00:01Z")) == {}
    assert invalidation.preview(Criteria("demo", until="2026-11-29T07:00:01Z")) == {"GB": 50, "FR": 10}
    assert invalidation.preview(Criteria("other", domain="example.org")) == {}


def test_a_pending_signature_is_pending_again_after_revalidation(petition):
    models.Petition.get("demo").update(actions=[models.Petition.require_verification.set(True)])
    from chalicelib.petitions import catalog
    catalog.reset()
    sign(3, SCRIPT)
    invalidation.apply(by_ip(), Direction.INVALIDATE, "tester", rate=0)
    assert statuses() == {"invalidated": 3}
    invalidation.apply(by_ip(), Direction.REVALIDATE, "tester", rate=0)
    assert statuses() == {"pending": 3}


def test_fraudulent_signatures_are_left_alone(petition, monkeypatch):
    from chalicelib.fraud import blocklists

    monkeypatch.setattr(blocklists, "current", lambda: blocklists.parse({"blocked_networks": ["203.0.113.0/24"]}))
    sign(5, SCRIPT)
    assert invalidation.preview(by_ip()) == {}
    assert invalidation.preview(by_ip(), Direction.REVALIDATE) == {}


def test_a_signature_changed_meanwhile_is_skipped_not_overwritten(signed, monkeypatch):
    original = invalidation.pages

    def racing(*args, **kwargs):
        for items, position in original(*args, **kwargs):
            models.Signature.get(items[0]["signature_key"]["S"]).update(
                actions=[models.Signature.status.set("fraudulent")])
            yield items, position

    monkeypatch.setattr(invalidation, "pages", racing)
    progress = invalidation.apply(by_ip(), Direction.INVALIDATE, "tester", rate=0)
    assert (progress.changed, progress.skipped) == (39, 1)
    assert statuses()["fraudulent"] == 1


def test_an_interrupted_run_resumes_from_its_checkpoint(signed, tmp_path, monkeypatch):
    checkpoint = invalidation.Checkpoint(tmp_path / "run.json")
    original = invalidation.pages

    real_scan = invalidation._scan_arguments
    monkeypatch.setattr(invalidation, "_scan_arguments", lambda *a: {**real_scan(*a), "Limit": 10})
    pages_seen = []

    def crash_after_two(*args, **kwargs):
        for n, page in enumerate(original(*args, **kwargs)):
            if n == 2:
                raise KeyboardInterrupt
            pages_seen.append(page)
            yield page

    monkeypatch.setattr(invalidation, "pages", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        invalidation.apply(by_ip(), Direction.INVALIDATE, "tester", rate=0, checkpoint=checkpoint)
    first = statuses()["invalidated"]
    assert 0 < first < 40 and (tmp_path / "run.json").exists()
    saved = checkpoint.load(by_ip(), Direction.INVALIDATE)
    assert saved.changed == first and saved.position is not None

    monkeypatch.setattr(invalidation, "pages", original)
    calls = []
    real_pages = invalidation.pages
    monkeypatch.setattr(invalidation, "pages", lambda *a, **k: (calls.append(k.get("start")), real_pages(*a, **k))[1])
    progress = invalidation.apply(by_ip(), Direction.INVALIDATE, "tester", rate=0, checkpoint=checkpoint)
    assert calls == [saved.position]  # resumed where it stopped, not from the start
    assert progress.changed == 40 and progress.complete and statuses()["invalidated"] == 40
    assert not (tmp_path / "run.json").exists()


def test_each_run_is_audited_without_an_address(signed):
    invalidation.apply(by_ip(), Direction.INVALIDATE, "tester", rate=0)
    [entry] = [e for e in trail.latest() if e.action == "invalidate"]
    assert entry.actor == "tester" and entry.petition_id == "demo"
    assert entry.after["changed"] == 40 and entry.after["by_country"] == {"FR": 10, "GB": 30}
    assert entry.after["criteria"]["ip_hash"] == identity.ip_hash("203.0.113.7", b"test-secret")
    assert "203.0.113.7" not in str(entry.as_json())


def test_the_pacer_bounds_the_rate():
    clock = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    pacer = invalidation.Pacer(100, sleep=sleep, now=lambda: clock[0])
    for _ in range(201):
        pacer.wait()
    assert clock[0] == pytest.approx(2.0)  # 201 changes at 100 a second: the last starts 2 s after the first


@pytest.mark.parametrize("given, message", [
    ({}, "at least one criterion"),
    ({"domain": "not a domain"}, "not a domain"),
    ({"since": "yesterday"}, "not a date"),
])


def test_bad_criteria_say_why(given, message):
    with pytest.raises(BadCriteria, match=message):
        Criteria("demo", **given)


def test_an_address_that_is_not_one_is_refused():
    with pytest.raises(BadCriteria, match="not an IP address"):
        invalidation.criteria_with_address("demo", "300.1.2.3")
