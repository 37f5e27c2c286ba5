"""Security headers on every answer of every route, through Chalice's test client against moto."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from chalicelib.aws import config
from chalicelib.petitions import catalog
from chalicelib.web import security_headers
from tests.support.policy import assert_nothing_inline_the_policy_refuses, assert_strict_page, directives
from tools import petition_admin

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
GOOD = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "GB", "consent": True}

# Every route and method, with requests that reach each kind of answer it gives.
PAGES = [
    ("GET", "/", {}, None),
    ("GET", "/privacy", {}, None),
    ("GET", "/petitions/demo/sign", {}, None),
    ("GET", "/petitions/demo/sign?source=news", {}, None),
    ("GET", "/petitions/demo/thanks", {}, None),
    ("GET", "/petitions/demo/dashboard", {}, None),
    ("GET", "/petitions/nothing-here/sign", {}, None),  # the 404 page
    ("POST", "/petitions/demo/signatures", FORM, urlencode({"name": "A", "email": "nope"})),  # 422 re-render
    ("POST", "/petitions/nothing-here/signatures", {**FORM, "Accept": "text/html"},
     urlencode({"name": "A"})),  # 404 message page
    ("GET", "/petitions/demo/confirm?token=bogus", {}, None),  # a link that does not work
    ("POST", "/petitions/demo/confirm", FORM, "token=bogus"),
    ("POST", "/petitions/demo/confirm/resend", FORM, "token=bogus"),
    ("GET", "/petitions/demo/remove", {}, None),
    ("POST", "/petitions/demo/remove", FORM, "email=a%40example.org"),
    ("GET", "/petitions/demo/remove/confirm?token=bogus", {}, None),
    ("POST", "/petitions/demo/remove/confirm", FORM, "token=bogus"),
    ("GET", "/petitions/demo/updates/confirm?token=bogus", {}, None),
    ("POST", "/petitions/demo/updates/confirm", FORM, "token=bogus"),
    ("GET", "/admin/sign-in", {}, None),
    ("POST", "/admin/sign-in", FORM, "email=a%40example.org"),  # no form token: 403 page
    ("GET", "/admin/sign-in/bogus", {}, None),
    ("POST", "/admin/sign-in/bogus", FORM, "csrf_token=x"),
]
# The one page others may frame (its policy: tests/unit/sharing/test_sharing.py).
EMBEDDABLE = [("GET", "/petitions/demo/embed", {}, None)]
# What a signed-in admin sees (the admin fixture's session).
ADMIN_PAGES = ["/admin", "/admin/new", "/admin/audit", "/admin/petitions/demo", "/admin/petitions/demo/edit"]
NOT_PAGES = [
    ("GET", "/petitions/demo", {}, None),
    ("GET", "/petitions/nothing-here", {}, None),
    ("GET", "/petitions/demo/totals", {}, None),
    ("GET", "/petitions/nothing-here/totals", {}, None),
    ("GET", "/static/countersign.js", {}, None),
    ("GET", "/static/world.svg", {}, None),
    ("GET", "/static/nothing.js", {}, None),
    ("POST", "/petitions/demo/signatures", JSON, json.dumps(GOOD)),
    ("POST", "/petitions/demo/signatures", JSON, json.dumps({"name": ""})),
    ("POST", "/petitions/demo/signatures", JSON, "{not json"),
    ("POST", "/petitions/demo/signatures", {"Content-Type": "text/plain"}, "hello"),
    ("POST", "/petitions/demo/signatures", FORM, urlencode({**GOOD, "consent": "yes"})),  # 303
    ("OPTIONS", "/petitions/demo/signatures", {"Origin": "https://campaign.example.org"}, None),
    ("GET", "/petitions/demo", {"Content-Type": "text/plain"}, None),  # Chalice's own 415
    ("POST", "/petitions/demo/confirm", JSON, json.dumps({"token": "bogus"})),
    ("POST", "/petitions/demo/confirm/resend", JSON, json.dumps({"token": "bogus"})),
    ("POST", "/petitions/demo/remove", JSON, json.dumps({"email": "a@example.org"})),
    ("GET", "/petitions/demo/badge.svg", {}, None),
    ("GET", "/petitions/demo/card.png", {"Accept": "image/png"}, None),
    ("GET", "/osdi/v1/petitions/demo", {}, None),
    ("POST", "/osdi/v1/petitions/demo/signatures", JSON, json.dumps({"person": {}})),
    # The admin area without a session: a redirect to the sign-in page, or the API's 401.
    *[("GET", path, {}, None) for path in ("/admin", "/admin/new", "/admin/audit", "/admin/petitions/demo",
                                            "/admin/petitions/demo/edit", "/admin/api/session", "/admin/api/audit",
                                            "/admin/api/petitions", "/admin/api/petitions/demo",
                                            "/admin/petitions/demo/exports/2026-01-02T030405Z-summary.csv")],
    *[("POST", path, FORM, "csrf_token=x") for path in ("/admin/petitions", "/admin/petitions/demo",
                                                        "/admin/petitions/demo/status", "/admin/preview",
                                                        "/admin/petitions/demo/erase",
                                                        "/admin/petitions/demo/invalidation/preview",
                                                        "/admin/petitions/demo/invalidation/apply",
                                                        "/admin/petitions/demo/exports",
                                                        "/admin/sign-out")],
    *[("POST", path, JSON, "{}") for path in ("/admin/api/petitions", "/admin/api/petitions/demo",
                                              "/admin/api/petitions/demo/status")],
]


def call(client, method, path, headers, body):
    return client.request(method, path, headers=headers, body=body or b"")






def test_every_route_is_covered_here():
    from app import app

    covered = set()
    for method, path, _, _ in PAGES + NOT_PAGES + EMBEDDABLE:
        bare = path.split("?")[0]
        for route, methods in app.routes.items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", route) + "$"
            if re.match(pattern, bare) and method in methods:
                covered.add((method, route))
    declared = {(method, route) for route, methods in app.routes.items() for method in methods}
    assert covered == declared






@pytest.mark.parametrize("method, path, headers, body", PAGES)
def test_every_page_carries_a_strict_policy(client, petition, method, path, headers, body):
    assert_strict_page(call(client, method, path, headers, body), path)


@pytest.mark.parametrize("method, path, headers, body", PAGES)
def test_pages_have_nothing_inline_that_the_policy_would_refuse(client, petition, method, path, headers, body):
    assert_nothing_inline_the_policy_refuses(call(client, method, path, headers, body))


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_the_admin_areas_pages_are_as_strict(admin, petition, path):
    response = admin.get(path)
    assert response.status_code == 200
    assert_strict_page(response)
    assert_nothing_inline_the_policy_refuses(response)


@pytest.mark.parametrize("method, path, headers, body", NOT_PAGES)
def test_every_other_answer_is_nosniff_and_allows_nothing(client, petition, method, path, headers, body):
    response = call(client, method, path, headers, body)
    assert not response.headers.get("Content-Type", "").startswith("text/html")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_chalice_own_errors_get_the_headers_too(client, petition):
    response = client.get("/petitions/demo", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_304_keeps_the_headers(client, petition):
    etag = client.get("/petitions/demo/totals").headers["ETag"]
    response = client.get("/petitions/demo/totals", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_sign_form_may_end_on_the_petitions_own_thanks_page(client, petition):
    """Chrome applies form-action to the redirect after a post, so the thanks page's site is named."""
    petition_admin.update("demo", thanks_url="https://campaign.example.org/thank-you?from=petition")
    catalog.reset()
    for response in (client.get("/petitions/demo/sign"),
                     client.post("/petitions/demo/signatures", headers=FORM, body=urlencode({"name": "A"}))):
        policy = directives(response.headers["Content-Security-Policy"])
        assert policy["form-action"] == ["'self'", "https://campaign.example.org"]


def test_hsts_on_every_answer_when_the_stage_sets_it(client, petition, monkeypatch):
    monkeypatch.setenv("STRICT_TRANSPORT_SECURITY", "max-age=31536000")
    config.reset()
    try:
        for method, path, headers, body in PAGES + NOT_PAGES:
            response = call(client, method, path, headers, body)
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000", path
    finally:
        monkeypatch.delenv("STRICT_TRANSPORT_SECURITY")
        config.reset()


def test_a_route_may_set_its_own_policy():
    from chalice import Response

    response = security_headers.add(Response(body="<p>embed</p>", headers={
        "Content-Type": "text/html", "content-security-policy": "frame-ancestors https://news.example"}))
    assert response.headers["content-security-policy"] == "frame-ancestors https://news.example"
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url, origin", [
    ("https://campaign.example.org/thanks?x=1", "https://campaign.example.org"),
    ("http://localhost:8000/t", "http://localhost:8000"),
    ("https://user:pw@example.org/", "https://example.org"),
    ("javascript:alert(1)", None),
    ("/relative/thanks", None),
    (None, None),
    ("https://[::1/", None),
])
def test_origin_of(url, origin):
    assert security_headers.origin_of(url) == origin


def test_a_campaign_photo_may_come_from_its_own_address_and_nowhere_else(client, petition):
    petition_admin.update("demo", image_url="https://images.example.org/photo.jpg", image_alt="A crowd")
    catalog.reset()
    for path in ("/petitions/demo/sign", "/petitions/demo/thanks", "/petitions/demo/dashboard"):
        policy = directives(client.get(path).headers["Content-Security-Policy"])
        assert policy["img-src"] == ["'self'", "https://images.example.org"], path
    assert directives(client.get("/privacy").headers["Content-Security-Policy"])["img-src"] == ["'self'"]


def test_the_admin_area_shows_photos_from_any_https_address(admin, petition):
    """The preview shows whatever address an editor typed; nothing but https, and still no scripts from there."""
    for path in ("/admin", "/admin/petitions/demo/edit"):
        policy = directives(admin.get(path).headers["Content-Security-Policy"])
        assert policy["img-src"] == ["'self'", "https:"]
        assert policy["script-src"] == ["'self'"]
