"""The admin area: sign-in by emailed link, sessions, CSRF, the allowlist, the pages, the JSON API and the audit."""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.admin import sessions, signin
from chalicelib.audit import trail
from chalicelib.aws import config, parameters
from chalicelib.petitions import catalog, store
from tests.support.admin_session import ADMIN, Browser, Outbox, sign_in
from tools import petition_admin

# ---- asking for a link -----------------------------------------------------------------------------------

def test_an_allowlisted_address_gets_a_link_built_from_the_public_address(tables, public_base_url):
    box = Outbox()
    assert signin.request_link(" Admin@Example.org ", box) == signin.ANSWER
    assert [m["to"] for m in box.sent] == [ADMIN]
    assert box.link().startswith("https://sign.example.org/admin/sign-in/")
    assert box.link() in box.sent[0]["html"]


def test_anyone_else_gets_the_same_answer_and_no_mail(tables, public_base_url):
    box = Outbox()
    for address in ("someone@example.org", "admin@example.org.evil.example", "", "not-an-address", "x" * 300):
        assert signin.request_link(address, box) == signin.ANSWER
    assert box.sent == []


def test_the_same_page_answers_known_and_unknown_addresses(client, tables, public_base_url, outbox):
    browser = Browser(client)
    bodies = []
    for address in (ADMIN, "stranger@example.org"):
        form = browser.get("/admin/sign-in").body.decode()
        reply = browser.post("/admin/sign-in", {"email": address, "csrf_token": browser.csrf(form)})
        bodies.append((reply.status_code, reply.body))
    assert bodies[0] == bodies[1]
    assert len(outbox.sent) == 1


def test_links_are_rate_limited_per_address(tables, public_base_url):
    box = Outbox()
    for _ in range(signin.LINKS_PER_WINDOW + 3):
        assert signin.request_link(ADMIN, box, now=1_800_000_000) == signin.ANSWER
    assert len(box.sent) == signin.LINKS_PER_WINDOW
    signin.request_link(ADMIN, box, now=1_800_000_000 + signin.WINDOW_SECONDS)  # the next window
    assert len(box.sent) == signin.LINKS_PER_WINDOW + 1


def test_a_forged_host_header_does_not_change_the_link(client, tables, public_base_url, outbox):
    browser = Browser(client)
    form = browser.get("/admin/sign-in").body.decode()
    browser.post("/admin/sign-in", {"email": ADMIN, "csrf_token": browser.csrf(form)},
                 headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert outbox.link().startswith("https://sign.example.org/") and "evil" not in outbox.sent[0]["text"]


def test_a_failing_mail_sender_still_gives_the_same_answer(tables, public_base_url, caplog):
    def broken(*_):
        raise OSError("mail server down")

    assert signin.request_link(ADMIN, broken) == signin.ANSWER
    assert any("sign-in mail not sent" in m for m in caplog.messages)
    assert not any(ADMIN in m for m in caplog.messages)  # no address in the log


def test_the_allowlist_comes_from_its_ssm_parameter_when_deployed(tables, monkeypatch):
    from chalicelib.aws import clients

    clients.ssm().put_parameter(Name="/countersign/dev/admin-allowlist", Type="StringList",
                            Value="boss@example.org,Team@Example.org")
    monkeypatch.setenv("ADMIN_ALLOWLIST_PARAMETER", "/countersign/dev/admin-allowlist")
    config.reset()
    parameters.reset()
    assert signin.allowlist() == {"boss@example.org", "team@example.org"}


# ---- using a link --------------------------------------------------------------------------------------------

def test_a_link_signs_in_once_with_a_strict_http_only_secure_cookie(client, tables, public_base_url, outbox):
    browser = Browser(client)
    done = sign_in(browser, outbox)
    cookie = [c for c in _set_cookies(done) if c.startswith("cs_admin=")][0]
    for attribute in ("HttpOnly", "SameSite=Strict", "Secure", "Path=/", "Max-Age=28800"):
        assert attribute in cookie
    assert browser.get("/admin").status_code == 200
    again = Browser(client)
    path = outbox.link().split("sign.example.org", 1)[1]
    page = again.get(path)  # still shows a page (a scanner's GET uses nothing) ...
    used = again.post(path, {"csrf_token": again.csrf(page.body.decode())})
    assert used.status_code == 400 and "cs_admin" not in again.jar  # ... but the link was used


def test_opening_the_link_with_get_alone_does_not_sign_in(client, tables, public_base_url, outbox):
    signin.request_link(ADMIN, outbox)
    browser = Browser(client)
    browser.get(outbox.link().split("sign.example.org", 1)[1])
    assert "cs_admin" not in browser.jar
    path = outbox.link().split("sign.example.org", 1)[1]
    page = browser.get(path)
    assert browser.post(path, {"csrf_token": browser.csrf(page.body.decode())}).status_code == 303


def test_an_expired_or_forged_link_does_not_work(client, tables, public_base_url, outbox, monkeypatch):
    import itsdangerous.timed

    signin.request_link(ADMIN, outbox)
    path = outbox.link().split("sign.example.org", 1)[1]
    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() + signin.LINK_SECONDS + 1)
    assert Browser(client).get(path).status_code == 400
    monkeypatch.undo()
    assert Browser(client).get(path[:-3] + "abc").status_code == 400
    assert Browser(client).get("/admin/sign-in/" + "x" * 600).status_code == 400


def test_using_a_link_without_the_forms_token_is_refused(client, tables, public_base_url, outbox):
    signin.request_link(ADMIN, outbox)
    path = outbox.link().split("sign.example.org", 1)[1]
    browser = Browser(client)
    browser.get(path)
    assert browser.post(path, {}).status_code == 403
    assert "cs_admin" not in browser.jar


# ---- sessions ----------------------------------------------------------------------------------------------------

ADMIN_PAGES = ["/admin", "/admin/new", "/admin/audit", "/admin/petitions/demo", "/admin/petitions/demo/edit"]
API_PAGES = ["/admin/api/session", "/admin/api/petitions", "/admin/api/petitions/demo", "/admin/api/audit"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_visitors_get_the_sign_in_page(client, petition, path):
    response = client.get(path)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/sign-in"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", API_PAGES)
def test_the_api_answers_401_without_a_session(client, petition, path):
    response = client.get(path)
    assert response.status_code == 401 and response.headers["Cache-Control"] == "no-store"


def test_signing_out_ends_the_session_on_the_server(admin, petition):
    kept_cookie = dict(admin.jar)
    page = admin.get("/admin").body.decode()
    out = admin.post("/admin/sign-out", {"csrf_token": admin.csrf(page)})
    assert out.status_code == 303 and out.headers["Location"] == "/admin/sign-in"
    for path in ADMIN_PAGES:
        assert admin.get(path).status_code == 303
    admin.jar = kept_cookie  # the old cookie is still validly signed, but its session is gone
    for path in ADMIN_PAGES:
        assert admin.get(path).status_code == 303, path


def test_a_tampered_or_expired_session_cookie_is_no_session(admin, monkeypatch):
    import itsdangerous.timed

    value = admin.jar["cs_admin"]
    admin.jar["cs_admin"] = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    assert admin.get("/admin").status_code == 303
    admin.jar["cs_admin"] = value
    assert admin.get("/admin").status_code == 200
    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() + sessions.SESSION_SECONDS + 1)
    assert admin.get("/admin").status_code == 303


# ---- CSRF ------------------------------------------------------------------------------------------------------------

def test_a_post_without_the_token_changes_nothing(admin, tables):
    response = admin.post("/admin/petitions", {"petition_id": "sneaky", "title": "T", "summary": "S", "goal": "5"})
    assert response.status_code == 403
    assert store.get("sneaky") is None


def test_another_sessions_token_is_refused(admin, client, tables, outbox, petition):
    other = Browser(client)
    sign_in(other, outbox)
    their_token = other.csrf(other.get("/admin").body.decode())
    mine = admin.csrf(admin.get("/admin").body.decode())
    assert their_token != mine
    response = admin.post("/admin/petitions/demo/status", {"change": "close", "csrf_token": their_token})
    assert response.status_code == 403 and store.get("demo").status == "open"


def test_the_api_needs_the_token_in_a_header(admin, petition):
    body = json.dumps({"change": "close"})
    headers = {"Content-Type": "application/json"}
    assert admin.post("/admin/api/petitions/demo/status", body=body, headers=headers).status_code == 403
    token = json.loads(admin.get("/admin/api/session").body)["csrf_token"]
    done = admin.post("/admin/api/petitions/demo/status", body=body, headers={**headers, "X-CSRF-Token": token})
    assert done.status_code == 200 and json.loads(done.body)["status"] == "closed"


# ---- the pages ------------------------------------------------------------------------------------------------------

def test_create_edit_open_close_with_an_audit_trail(admin, tables):
    form = admin.get("/admin/new").body.decode()
    token = admin.csrf(form)
    fields = {"csrf_token": token, "petition_id": "camp", "title": "Our campaign", "summary": "Why.",
              "goal": "1000", "asks": "First ask\nSecond ask", "body": "## More\n\nText.",
              "image_url": "https://example.org/p.jpg", "image_alt": "A photo", "image_credit": "Photo: Us",
              "organiser_name": "Us", "organiser_url": "https://example.org", "featured_country": "GB",
              "country_targets": "GB 10\nFR 5", "closes_at": "", "thanks_url": ""}
    created = admin.post("/admin/petitions", fields)
    assert created.status_code == 303 and created.headers["Location"] == "/admin/petitions/camp"
    assert store.get("camp").status == "draft"
    page = admin.get("/admin/petitions/camp").body.decode()
    assert "draft" in page and "Open it" in page
    edited = admin.post("/admin/petitions/camp", {**fields, "title": "Our better campaign"})
    assert edited.status_code == 303 and store.get("camp").title == "Our better campaign"
    for change in ("open", "close", "reopen"):
        assert admin.post("/admin/petitions/camp/status", {"change": change, "csrf_token": token}).status_code == 303
    assert admin.post("/admin/petitions/camp/status", {"change": "open", "csrf_token": token}).status_code == 409
    entries = trail.latest()
    actions = [e.action for e in entries if e.petition_id == "camp"]
    assert actions == ["reopen", "close", "open", "update", "create"]
    update = next(e for e in entries if e.action == "update")
    assert update.actor == ADMIN and update.changes() == [("title", "Our campaign", "Our better campaign")]
    assert "Our better campaign" in admin.get("/admin/audit").body.decode()


def test_a_bad_form_is_drawn_again_with_each_message(admin, tables):
    token = admin.csrf(admin.get("/admin/new").body.decode())
    response = admin.post("/admin/petitions", {"csrf_token": token, "petition_id": "Bad Id", "title": "",
                                               "summary": "S", "goal": "lots", "image_url": "javascript:alert(1)"})
    page = response.body.decode()
    assert response.status_code == 422
    assert 'href="#petition_id"' in page and 'href="#goal"' in page and 'href="#image_url"' in page
    assert 'value="Bad Id"' in page  # what was typed stays
    assert trail.latest() == [e for e in trail.latest() if e.action == "sign-in"]


def test_the_preview_renders_the_campaign_part_sanitised(admin, tables):
    token = admin.csrf(admin.get("/admin/new").body.decode())
    response = admin.post("/admin/preview", {"title": "Hello", "summary": "S", "asks": "One\nTwo",
                                             "body": "Text <script>alert(1)</script>"},
                          headers={"X-CSRF-Token": token})
    page = response.body.decode()
    assert response.status_code == 200 and "<li>One</li>" in page and "<script>" not in page
    assert admin.post("/admin/preview", {"title": "x"}).status_code == 403


def test_the_petition_page_shows_countries_and_never_signers(admin, petition, client):
    signer = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "GB", "consent": True}
    client.post("/petitions/demo/signatures", headers={"Content-Type": "application/json"}, body=json.dumps(signer))
    from tests.support.pages import set_totals

    set_totals({"GB": 8500, "FR": 3})
    page = admin.get("/admin/petitions/demo").body.decode()
    assert "United Kingdom" in page and "8,500" in page
    assert "Amina" not in page and "amina@" not in page
    listing = admin.get("/admin").body.decode()
    assert "8,503" in listing


def test_every_admin_answer_is_no_store(admin, petition):
    for path in ADMIN_PAGES + API_PAGES + ["/admin/sign-in"]:
        assert admin.get(path).headers["Cache-Control"] == "no-store", path


def test_bad_input_is_a_clear_4xx(admin, petition):
    token = json.loads(admin.get("/admin/api/session").body)["csrf_token"]
    headers = {"Content-Type": "application/json", "X-CSRF-Token": token}
    assert admin.post("/admin/api/petitions", body="{not json", headers=headers).status_code == 400
    assert admin.post("/admin/api/petitions", body="[1]", headers=headers).status_code == 400
    assert admin.post("/admin/api/petitions", body=json.dumps({"petition_id": "x", "goal": -1}),
                      headers=headers).status_code == 422
    assert admin.post("/admin/api/petitions/nope", body="{}", headers=headers).status_code == 404
    assert admin.post("/admin/api/petitions/demo/status", body='{"change": "explode"}',
                      headers=headers).status_code == 422
    big = admin.post("/admin/petitions", {"csrf_token": "x", "body": "a" * 70_000})
    assert big.status_code in (403, 413)
    assert admin.get("/admin/petitions/NOT%20AN%20ID").status_code == 404


def test_the_api_creates_and_reads_with_figures(admin, tables):
    token = json.loads(admin.get("/admin/api/session").body)["csrf_token"]
    headers = {"Content-Type": "application/json", "X-CSRF-Token": token}
    created = admin.post("/admin/api/petitions", headers=headers, body=json.dumps(
        {"petition_id": "api-one", "title": "T", "summary": "S", "goal": 10, "asks": ["A"],
         "country_targets": {"GB": 1}, "status": "open"}))
    assert created.status_code == 201 and json.loads(created.body)["status"] == "open"
    shown = json.loads(admin.get("/admin/api/petitions/api-one").body)
    assert shown["petition"]["asks"] == ["A"] and shown["figures"]["targets"] == {"GB": 1}
    assert [p["petition_id"] for p in json.loads(admin.get("/admin/api/petitions").body)["petitions"]] == ["api-one"]
    assert json.loads(admin.get("/admin/api/audit").body)["entries"][0]["action"] == "create"


def test_make_petition_writes_the_audit_too(tables):
    petition_admin.create("cli-one", "T", "S", 5)
    petition_admin.main(["close", "cli-one"])
    catalog.reset()
    actions = [(e.action, e.actor.split(" (")[0]) for e in trail.latest()]
    assert actions == [("close", "make petition"), ("create", "make petition")]


def _set_cookies(response):
    raw = response.headers.get("Set-Cookie") or response.headers.get("set-cookie")
    values = raw if isinstance(raw, list) else [raw]
    return [piece for value in values for piece in re.split(r",\s*(?=[a-z_]+=)", value)]
