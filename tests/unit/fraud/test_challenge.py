"""The optional challenge (Cloudflare Turnstile) against a local siteverify stub: pages, form, JSON, outages."""
from __future__ import annotations

import dataclasses
import json
import socket
from urllib.parse import urlencode

import pytest

from chalicelib.aws import config, parameters
from chalicelib.fraud import challenge
from chalicelib.petitions import catalog
from tests.support.signing import FORM, GOOD, GOOD_FORM, post_json, stored
from tools import petition_admin, siteverify_stub

TOKEN = siteverify_stub.DUMMY_TOKEN
HTML = {"Accept": "text/html"}


def reset_caches() -> None:
    """The settings and the parameters read (not the tables' caches: the petition fixture's rows stay)."""
    config.reset()
    parameters.reset()


@pytest.fixture(autouse=True)
def stub(monkeypatch):
    """The siteverify stub on a free port, with Turnstile's always-passing test secret.

    Set up before the app's test client, which puts the Chalice stage's variables into the
    environment: settings are re-read here, never after it (see ``settings_with``).
    """
    server = siteverify_stub.serve()
    siteverify_stub.Handler.calls = 0
    monkeypatch.setenv("CHALLENGE_VERIFY_URL", siteverify_stub.url(server))
    monkeypatch.setenv("CHALLENGE_SECRET", siteverify_stub.PASSING_SECRET)
    monkeypatch.setenv("CHALLENGE_SITE_KEY", siteverify_stub.PASSING_SITE_KEY)
    reset_caches()
    yield server
    server.shutdown()
    server.server_close()
    reset_caches()


@pytest.fixture
def guarded(petition):
    petition_admin.update("demo", challenge=True)
    catalog.reset()
    return "demo"


def post_form(client, fields, query=""):
    return client.post(f"/petitions/demo/signatures{query}", headers={**FORM, **HTML}, body=urlencode(fields))


# ---- the verification client, against the stub and a dead address -----------------------------------------

def test_the_documented_dummy_token_passes_and_anything_else_fails():
    assert challenge.verify(TOKEN, "203.0.113.9") == challenge.Verdict.PASSED
    assert challenge.verify("forged", None) == challenge.Verdict.FAILED
    assert siteverify_stub.Handler.calls == 2


def test_an_empty_or_oversized_token_fails_without_a_call():
    assert challenge.verify("") == challenge.Verdict.FAILED
    assert challenge.verify("x" * 5000) == challenge.Verdict.FAILED
    assert siteverify_stub.Handler.calls == 0


def test_a_spent_token_fails_and_a_wrong_secret_is_our_outage_not_the_signers(monkeypatch):
    monkeypatch.setenv("CHALLENGE_SECRET", siteverify_stub.SPENT_SECRET)
    reset_caches()
    assert challenge.verify(TOKEN) == challenge.Verdict.FAILED
    monkeypatch.setenv("CHALLENGE_SECRET", "not-a-real-secret")
    reset_caches()
    assert challenge.verify(TOKEN) == challenge.Verdict.UNAVAILABLE


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/turnstile/v0/siteverify"  # nothing listens there now


def settings_with(monkeypatch, **changes) -> None:
    """Change settings without re-reading the environment (the test client has put the stage's in it)."""
    changed = dataclasses.replace(config.settings(), **changes)

    def settings() -> config.Settings:
        return changed

    settings.cache_clear = lambda: None  # type: ignore[attr-defined]  # config.reset() in teardown
    monkeypatch.setattr(config, "settings", settings)


def test_siteverify_unreachable_is_unavailable(monkeypatch):
    settings_with(monkeypatch, challenge_verify_url=_dead_url())
    assert challenge.verify(TOKEN) == challenge.Verdict.UNAVAILABLE


def test_the_secret_comes_from_ssm_when_deployed(tables, monkeypatch):
    from chalicelib.aws import clients

    monkeypatch.delenv("CHALLENGE_SECRET", raising=False)
    monkeypatch.setenv("CHALLENGE_SECRET_PARAMETER", "/countersign/dev/challenge-secret")
    reset_caches()
    with pytest.raises(challenge.SecretUnavailable):
        challenge.secret()  # not there yet: unavailable (a 503 on the sign path), not a crash
    parameters.reset()
    clients.ssm().put_parameter(Name="/countersign/dev/challenge-secret", Value="s3cret", Type="SecureString")
    assert challenge.secret() == "s3cret"


# ---- the sign path ------------------------------------------------------------------------------------------

def test_with_the_challenge_off_nothing_is_asked_and_no_call_is_made(client, petition):
    assert post_json(client, GOOD).status_code == 202
    page = client.get("/petitions/demo/sign").body.decode()
    assert "cf-turnstile" not in page and "challenges.cloudflare.com" not in page
    assert siteverify_stub.Handler.calls == 0


def test_an_oversized_token_is_ignored_where_the_challenge_is_off_and_fails_where_it_is_on(client, petition):
    oversized = {**GOOD, "cf-turnstile-response": "0" * (challenge.MAX_TOKEN_CHARS + 1)}
    assert post_json(client, oversized).status_code == 202  # as docs/openapi.yaml says: ignored
    petition_admin.update("demo", challenge=True)
    catalog.reset()
    refused = post_json(client, {**oversized, "email": "second@example.org"})
    assert refused.status_code == 422 and set(refused.json_body["errors"]) == {"challenge"}
    assert siteverify_stub.Handler.calls == 0 and len(stored()) == 1


def test_a_valid_token_signs_with_exactly_one_dynamodb_request(client, guarded, aws_calls):
    client.get("/petitions/demo")  # the petition's configuration is cached per container, as deployed
    aws_calls.calls.clear()
    response = post_json(client, {**GOOD, "cf-turnstile-response": TOKEN})
    assert response.status_code == 202
    assert aws_calls.calls == ["PutItem"]  # siteverify is HTTP to the provider, not DynamoDB
    assert siteverify_stub.Handler.calls == 1
    [sig] = stored()
    assert "turnstile" not in str(sig.serialize()).lower()  # the token is not stored


def test_json_without_a_token_is_a_422_on_the_challenge_and_stores_nothing(client, guarded):
    response = post_json(client, GOOD)
    assert response.status_code == 422
    assert set(response.json_body["errors"]) == {"challenge"}
    assert "check that you are a person" in response.json_body["errors"]["challenge"]
    bad = post_json(client, {**GOOD, "cf-turnstile-response": "forged"})
    assert bad.status_code == 422 and "did not succeed" in bad.json_body["errors"]["challenge"]
    assert stored() == []


def test_field_mistakes_are_reported_before_any_siteverify_call(client, guarded):
    response = post_json(client, {**GOOD, "email": "nope", "cf-turnstile-response": TOKEN})
    assert response.status_code == 422 and "email" in response.json_body["errors"]
    assert siteverify_stub.Handler.calls == 0


def test_a_form_without_a_token_is_drawn_again_with_the_error_and_the_widget(client, guarded):
    response = post_form(client, GOOD_FORM)
    assert response.status_code == 422
    page = response.body.decode()
    assert 'href="#challenge"' in page and 'id="challenge-error"' in page
    assert 'value="Amina Yusuf"' in page  # what they typed is kept
    assert 'data-sitekey="1x00000000000000000000AA"' in page
    assert "challenges.cloudflare.com" in response.headers["Content-Security-Policy"]
    assert stored() == []
    passed = post_form(client, {**GOOD_FORM, "cf-turnstile-response": TOKEN})
    assert passed.status_code == 303 and len(stored()) == 1


def test_siteverify_down_is_a_503_in_our_words_and_nothing_is_written(client, guarded, monkeypatch):
    settings_with(monkeypatch, challenge_verify_url=_dead_url())
    response = post_json(client, {**GOOD, "cf-turnstile-response": TOKEN})
    assert response.status_code == 503
    assert "couldn't check that you are a person" in response.json_body["error"]
    form = post_form(client, {**GOOD_FORM, "cf-turnstile-response": TOKEN})
    assert form.status_code == 503 and "try again" in form.body.decode()
    assert stored() == []


def test_the_sign_page_says_why_and_loads_the_widget_only_when_on(client, guarded):
    response = client.get("/petitions/demo/sign")
    page = response.body.decode()
    assert "automated signatures" in page and "Cloudflare Turnstile" in page
    assert '<script src="https://challenges.cloudflare.com/turnstile/v0/api.js"' in page
    assert "<noscript>" in page  # says the check needs JavaScript
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://challenges.cloudflare.com" in policy
    assert "frame-src https://challenges.cloudflare.com" in policy
    # Only the form's page: the dashboard and the thanks page keep our own scripts only.
    for other in ("/petitions/demo/dashboard", "/petitions/demo/thanks"):
        assert "challenges.cloudflare.com" not in client.get(other).headers["Content-Security-Policy"]


def test_the_page_says_why_in_the_signers_language(client, guarded):
    page = client.get("/petitions/demo/sign?lang=fr").body.decode()
    assert "automated signatures" not in page and "Cloudflare Turnstile" in page


def test_the_embed_loads_the_widget_and_its_post_keeps_the_error_in_the_frame(client, guarded):
    response = client.get("/petitions/demo/embed")
    assert 'class="cf-turnstile"' in response.body.decode()
    assert "challenges.cloudflare.com" in response.headers["Content-Security-Policy"]
    refused = post_form(client, GOOD_FORM, "?embed=1")
    assert refused.status_code == 422 and 'id="challenge-error"' in refused.body.decode()


def test_other_petitions_keep_the_strict_policy(client, guarded):
    petition_admin.create("calm", "Calm", "No attack here.", 10)
    response = client.get("/petitions/calm/sign")
    assert "challenges.cloudflare.com" not in response.headers["Content-Security-Policy"]
    assert "frame-src" not in response.headers["Content-Security-Policy"]


def test_the_public_petition_says_a_challenge_is_needed(client, guarded):
    assert client.get("/petitions/demo").json_body["challenge"] is True


# ---- turning it on: the admin form, the admin API, make petition ---------------------------------------------

def test_the_admin_edit_form_turns_the_challenge_on_and_off_and_keeps_verification(admin, petition):
    from chalicelib.audit import trail
    from chalicelib.petitions import store

    petition_admin.update("demo", require_verification=True)
    form = admin.get("/admin/petitions/demo/edit").body.decode()
    assert 'id="challenge"' in form and 'name="require_verification" type="checkbox" value="on" checked' in form
    token = admin.csrf(form)
    fields = {"csrf_token": token, "title": "Protect people seeking asylum", "summary": "Five asks to world leaders.",
              "goal": "1500000", "require_verification": "on", "challenge": "on"}
    assert admin.post("/admin/petitions/demo", fields).status_code == 303
    saved = store.get("demo")
    assert saved.challenge is True and saved.require_verification is True  # saving the form kept verification
    edit = admin.get("/admin/petitions/demo/edit").body.decode()
    assert 'name="challenge" type="checkbox" value="on" checked' in edit
    update = next(e for e in trail.latest() if e.action == "update")
    assert ("challenge", False, True) in update.changes()
    fields.pop("challenge")  # an unticked box is not sent
    admin.post("/admin/petitions/demo", fields)
    assert store.get("demo").challenge is False


def test_the_admin_api_sets_the_challenge_and_refuses_a_non_flag(admin, petition):
    token = json.loads(admin.get("/admin/api/session").body)["csrf_token"]
    headers = {"Content-Type": "application/json", "X-CSRF-Token": token}
    on = admin.post("/admin/api/petitions/demo", body=json.dumps({"challenge": True}), headers=headers)
    assert on.status_code == 200 and json.loads(on.body)["challenge"] is True
    bad = admin.post("/admin/api/petitions/demo", body=json.dumps({"challenge": "maybe"}), headers=headers)
    assert bad.status_code == 422 and "challenge" in json.loads(bad.body)["errors"]


def test_make_petition_turns_it_on(petition, capsys):
    assert petition_admin.main(["update", "demo", "--challenge"]) == 0
    assert json.loads(capsys.readouterr().out)["challenge"] is True


def test_a_siteverify_that_stops_answering_gives_up_in_time_for_the_503(client, guarded, monkeypatch):
    """The check waits TIMEOUT_SECONDS at most, leaving the one write its own budget (chalicelib/aws/clients.py)."""
    import time

    from chalicelib.aws import clients
    from tests.support.stalled import API_BUDGET_SECONDS, StalledEndpoint

    assert challenge.TIMEOUT_SECONDS + clients.LIMITS.worst_seconds < API_BUDGET_SECONDS
    endpoint = StalledEndpoint()
    try:
        settings_with(monkeypatch, challenge_verify_url=endpoint.url + "/turnstile/v0/siteverify")
        started = time.monotonic()
        response = post_json(client, {**GOOD, "cf-turnstile-response": TOKEN})
        waited = time.monotonic() - started
    finally:
        endpoint.close()
    assert response.status_code == 503 and stored() == []
    # A hung call would never return; the bound is the function's budget, not a speed (the machine may be busy).
    assert waited < API_BUDGET_SECONDS
