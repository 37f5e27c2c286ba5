"""The admin petition page's invalidation panel: criteria, a preview by country, apply in chunks, CSRF, audit."""
from __future__ import annotations

import itertools
from collections import Counter
from types import SimpleNamespace

import pytest

from chalicelib.admin import invalidation_panel
from chalicelib.audit import trail
from chalicelib.fraud import identity
from tests.support.invalidation import SCRIPT, sign, statuses


@pytest.fixture
def signed(petition):
    sign(30, SCRIPT, "GB")
    sign(10, SCRIPT, "FR", domain="mail.bulk.example")
    sign(20, identity.Client("198.51.100.1", "firefox"), "GB")
    return petition


def token(admin) -> str:
    return admin.csrf(admin.get("/admin/petitions/demo").body.decode())


def test_the_petition_page_has_the_panel_with_its_csrf_token(admin, petition):
    page = admin.get("/admin/petitions/demo").body.decode()
    assert 'action="/admin/petitions/demo/invalidation/preview"' in page
    assert 'id="invalidation-heading"' in page


def test_preview_counts_by_country_with_no_personal_data_and_changes_nothing(admin, signed):
    response = admin.post("/admin/petitions/demo/invalidation/preview",
                          {"csrf_token": token(admin), "ip": "203.0.113.7", "direction": "invalidate"})
    page = response.body.decode()
    assert response.status_code == 200
    assert "<strong>40</strong> signatures match" in page
    assert "United Kingdom</td><td class=\"n\">30" in page and "France</td><td class=\"n\">10" in page
    assert "@" not in page.split("<main", 1)[1].replace("admin@example.org", "")  # no addresses, no names
    assert "P 1" not in page
    assert statuses() == {"confirmed": 60}
    entry = trail.latest()[0]
    assert entry.action == "invalidate-preview" and entry.after["matching"] == 40
    assert "203.0.113.7" not in str(entry.after)  # the criteria carry the hash


def test_apply_invalidates_then_revalidate_restores_each_audited(admin, signed):
    csrf = token(admin)
    burst = {"csrf_token": csrf, "ip": "203.0.113.7", "domain": "**.bulk.example", "direction": "invalidate"}
    done = admin.post("/admin/petitions/demo/invalidation/apply", burst)
    assert done.status_code == 200 and "Done" in done.body.decode()
    assert "10 signatures invalidated" in done.body.decode()
    assert statuses() == {"confirmed": 50, "invalidated": 10}
    again = admin.post("/admin/petitions/demo/invalidation/apply", burst)
    assert "0 signatures invalidated" in again.body.decode() and statuses()["invalidated"] == 10
    back = admin.post("/admin/petitions/demo/invalidation/apply",
                      {"csrf_token": csrf, "ip": "203.0.113.7", "direction": "revalidate"})
    assert "10 signatures revalidated" in back.body.decode() and statuses() == {"confirmed": 60}
    actions = [e.action for e in trail.latest() if e.action.endswith("validate")]
    assert actions == ["revalidate", "invalidate", "invalidate"]


def test_a_long_run_stops_within_the_request_and_offers_to_continue(admin, signed, monkeypatch):
    monkeypatch.setattr(invalidation_panel, "APPLY_SECONDS", 0.25)
    # The step's clock moves 0.01 s each time it is read (once per update), whatever the machine's
    # speed: about 25 updates per step.
    ticks = itertools.count(1)
    monkeypatch.setattr(invalidation_panel, "time", SimpleNamespace(monotonic=lambda: next(ticks) / 100))
    csrf = token(admin)
    fields = {"csrf_token": csrf, "ip": "203.0.113.7", "direction": "invalidate"}
    first = admin.post("/admin/petitions/demo/invalidation/apply", fields).body.decode()
    changed = statuses()["invalidated"]
    assert 0 < changed < 40
    assert "Partly done" in first and ">Continue</button>" in first and f'name="done" value="{changed}"' in first
    steps = 1
    while statuses().get("invalidated", 0) < 40 and steps < 10:
        page = admin.post("/admin/petitions/demo/invalidation/apply", {**fields, "done": str(changed)}).body.decode()
        changed = statuses()["invalidated"]
        steps += 1
    assert statuses() == {"invalidated": 40, "confirmed": 20} and "Done" in page and "(40 in all)" in page


def test_without_the_csrf_token_nothing_is_previewed_or_changed(admin, signed):
    for step in ("preview", "apply"):
        refused = admin.post(f"/admin/petitions/demo/invalidation/{step}", {"ip": "203.0.113.7"})
        assert refused.status_code == 403
    assert statuses() == {"confirmed": 60}
    assert not [e for e in trail.latest() if "validate" in e.action]


def test_bad_criteria_are_a_422_with_the_form_again(admin, signed):
    csrf = token(admin)
    for fields, words in (({}, "at least one criterion"), ({"ip": "not-an-ip"}, "not an IP address"),
                          ({"country": "XX"}, "two-letter code"), ({"since": "yesterday"}, "not a date"),
                          ({"ip": "203.0.113.7", "ip_hash": "ab"}, "not both")):
        response = admin.post("/admin/petitions/demo/invalidation/preview", {"csrf_token": csrf, **fields})
        assert response.status_code == 422, fields
        assert words in response.body.decode() and 'id="inv-ip"' in response.body.decode()
    assert statuses() == {"confirmed": 60}


def test_an_unknown_petition_is_a_404(admin, petition):
    response = admin.post("/admin/petitions/nope/invalidation/preview", {"csrf_token": token(admin), "country": "GB"})
    assert response.status_code == 404


def test_signed_out_it_redirects_to_sign_in(client, signed):
    response = client.post("/admin/petitions/demo/invalidation/preview", headers={
        "Content-Type": "application/x-www-form-urlencoded"}, body="country=GB")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/sign-in"
    assert Counter(statuses()) == {"confirmed": 60}


def test_its_pages_are_as_strict_as_the_rest_of_the_admin_area(admin, signed):
    from tests.support.policy import assert_nothing_inline_the_policy_refuses, assert_strict_page

    csrf = token(admin)
    for step, fields in (("preview", {"country": "FR"}), ("apply", {"country": "FR"}), ("preview", {})):
        response = admin.post(f"/admin/petitions/demo/invalidation/{step}", {"csrf_token": csrf, **fields})
        assert response.headers["Cache-Control"] == "no-store"
        assert_strict_page(response)
        assert_nothing_inline_the_policy_refuses(response)
