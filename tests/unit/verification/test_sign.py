"""Signing a petition that requires verification: pending storage, the same answer for everyone, capped resends."""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.aws import clock, models
from chalicelib.aws.models import SignatureStatus
from chalicelib.petitions import catalog
from chalicelib.signing import intake, signature_store
from chalicelib.tally import stream_tally
from chalicelib.verification import pending
from tests.support.streams import event, read_moto_stream
from tools import petition_admin

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
GOOD = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "GB", "consent": True}
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def verified(petition):
    petition_admin.update("demo", require_verification=True)
    catalog.reset()
    return "demo"


def post_json(client, body=GOOD, petition_id="demo"):
    return client.post(f"/petitions/{petition_id}/signatures", headers=JSON, body=json.dumps(body))


def post_form(client, body=GOOD, petition_id="demo"):
    return client.post(f"/petitions/{petition_id}/signatures", headers=FORM,
                       body=urlencode({**body, "consent": "on"}))


def sign_at(moment: datetime, body=GOOD):
    """The sign path at a chosen moment (the resend cap is about time)."""
    outcome = intake.receive("demo", json.dumps(body).encode(), "application/json", now=moment)
    assert outcome.kind == intake.OutcomeKind.ACCEPTED
    return outcome


def the_signature() -> models.Signature:
    [signature] = list(models.Signature.scan())
    return signature


def test_a_new_signature_is_stored_pending_with_its_expiry_and_first_mail_asked_for(client, verified):
    assert post_json(client).status_code == 202
    sig = the_signature()
    assert sig.status == SignatureStatus.PENDING
    assert (sig.mail_requested, sig.mail_sent, sig.resent_at, sig.confirmed_at) == (1, 0, None, None)
    signed = clock.epoch(clock.parse(sig.created_at))
    assert sig.expires_at == int(signed) + 30 * 86400


def test_an_unverified_petition_stores_confirmed_signatures_without_verification_attributes(client, petition):
    post_json(client)
    sig = the_signature()
    assert sig.status == SignatureStatus.CONFIRMED
    assert sig.expires_at is None and sig.mail_requested is None


def test_pending_expiry_is_configurable(client, verified, monkeypatch):
    from chalicelib.aws import config

    monkeypatch.setenv("PENDING_EXPIRY_DAYS", "2")
    config.reset()
    sign_at(T0)
    assert the_signature().expires_at == int(T0.timestamp()) + 2 * 86400
    config.reset()


def test_the_json_answer_says_confirmation_is_needed_and_is_the_same_for_new_pending_and_confirmed(client, verified):
    first = post_json(client)
    assert first.json_body == {"status": "received", "petition_id": "demo", "confirmation_required": True}
    again_pending = post_json(client, {**GOOD, "email": "Amina+x@EXAMPLE.org"})
    models.Signature(signature_key=the_signature().signature_key).update(
        actions=[models.Signature.status.set(SignatureStatus.CONFIRMED)])
    again_confirmed = post_json(client)
    honeypot = post_json(client, {**GOOD, "email": "bot@example.org", "website": "x"})
    for other in (again_pending, again_confirmed, honeypot):
        assert (other.status_code, other.body, dict(other.headers)) == (
            first.status_code, first.body, dict(first.headers))


def test_the_form_answer_is_the_same_for_new_pending_and_confirmed(client, verified):
    first = post_form(client)
    assert first.status_code == 303 and first.headers["Location"] == "/petitions/demo/thanks?lang=en"
    again = post_form(client)
    models.Signature(signature_key=the_signature().signature_key).update(
        actions=[models.Signature.status.set(SignatureStatus.CONFIRMED)])
    confirmed = post_form(client)
    assert (first.status_code, first.body, first.headers) == (again.status_code, again.body, again.headers) \
        == (confirmed.status_code, confirmed.body, confirmed.headers)


def test_sign_and_thanks_pages_say_to_check_email(client, verified):
    thanks = client.get("/petitions/demo/thanks").body.decode()
    assert "<h1>Check your email to confirm your signature</h1>" in thanks
    sign = client.get("/petitions/demo/sign").body.decode()
    assert "Check your email after signing" in sign
    assert "Check your email to confirm your signature" in sign  # the in-place thanks of the script
    assert client.get("/petitions/demo").json_body["require_verification"] is True


def test_pages_of_an_unverified_petition_do_not_mention_confirmation(client, petition):
    assert "Check your email" not in client.get("/petitions/demo/thanks").body.decode()
    assert "Check your email" not in client.get("/petitions/demo/sign").body.decode()


# ---- requests: one for a new signature, one more only to resend ------------------

def test_a_new_pending_signature_is_exactly_one_request(client, verified, aws_calls):
    post_json(client, {**GOOD, "email": "warm@example.org"})  # reads the petition into the cache
    aws_calls.calls.clear()
    assert post_json(client).status_code == 202
    assert aws_calls.calls == ["PutItem"]


def test_a_repeat_while_pending_spends_one_more_request_to_resend(client, verified, aws_calls):
    post_json(client)
    aws_calls.calls.clear()
    post_json(client)
    assert aws_calls.calls == ["PutItem", "UpdateItem"]
    assert aws_calls.calls[0].error == "ConditionalCheckFailedException"
    assert the_signature().mail_requested == 2


def test_a_repeat_once_confirmed_is_one_request_and_changes_nothing(client, verified, aws_calls):
    post_json(client)
    models.Signature(signature_key=the_signature().signature_key).update(
        actions=[models.Signature.status.set(SignatureStatus.CONFIRMED)])
    before = the_signature().attribute_values
    aws_calls.calls.clear()
    post_json(client)
    assert aws_calls.calls == ["PutItem"]
    assert the_signature().attribute_values == before


def test_resends_are_capped_at_three_in_any_24_hours(tables, verified, aws_calls):
    sign_at(T0)
    for minutes in (1, 2, 3):
        sign_at(T0 + timedelta(minutes=minutes))
    assert the_signature().mail_requested == 4  # the first mail and three resends
    aws_calls.calls.clear()
    sign_at(T0 + timedelta(minutes=4))
    sign_at(T0 + timedelta(hours=23))
    assert aws_calls.calls == ["PutItem", "PutItem"]  # capped: no second request
    assert the_signature().mail_requested == 4
    # 24 hours after the first resend, one more is allowed; the window slides
    sign_at(T0 + timedelta(minutes=1, hours=24))
    assert the_signature().mail_requested == 5
    sign_at(T0 + timedelta(minutes=1, hours=24, seconds=30))
    assert the_signature().mail_requested == 5  # the 2nd and 3rd resends are still within 24 hours
    assert len(the_signature().resent_at) == 3


def test_two_resends_at_once_ask_once(tables, verified):
    sign_at(T0)
    stored = the_signature()
    assert pending.request_resend(stored, T0.timestamp() + 60) == pending.Resend.REQUESTED
    assert pending.request_resend(stored, T0.timestamp() + 61) == pending.Resend.RACED  # saw the old counter
    assert the_signature().mail_requested == 2


def test_a_storage_failure_while_resending_does_not_change_the_answer(client, verified, monkeypatch, caplog):
    from pynamodb.exceptions import UpdateError

    first = post_json(client)

    def broken(self, *args, **kwargs):
        raise UpdateError("throttled")

    monkeypatch.setattr(models.Signature, "update", broken)
    again = post_json(client)
    assert (again.status_code, again.body) == (first.status_code, first.body)
    assert "resend failed" in caplog.text


def test_the_largest_pending_item_stays_within_one_write_unit(client, verified):
    longest = {**GOOD, "name": "N" * 255, "email": ("e" * 64) + "@" + ("d" * 60 + ".") * 3 + "org",
               "postcode": "P" * 16, "source": "s" * 64, "updates_opt_in": True}
    assert post_json(client, longest).status_code == 202
    assert signature_store.largest_bytes(the_signature()) <= 1024


def test_a_name_that_fits_only_while_unverified_is_refused_kindly_on_a_verified_petition(client, petition):
    """The size check counts what a pending item grows to (resend times, counters, confirmation stamp)."""
    big = {**GOOD, "name": "\U0001F600" * 100, "email": ("e" * 64) + "@" + ("d" * 60 + ".") * 3 + "org",
           "postcode": "P" * 16, "source": "s" * 64, "updates_opt_in": True}
    assert post_json(client, big).status_code == 202  # fits as a confirmed signature
    petition_admin.create("verified", "T", "S", 10, require_verification=True)
    response = post_json(client, big, petition_id="verified")
    assert response.status_code == 422 and "too long" in response.json_body["errors"]["name"]


def test_pending_signatures_count_nowhere_public(client, verified):
    for i, country in enumerate(["GB", "FR", "GB"]):
        post_json(client, {**GOOD, "email": f"s{i}@example.org", "country": country})
    post_json(client, {**GOOD, "email": "s0@example.org"})  # a resend too
    for shard, records in read_moto_stream():
        stream_tally.handle(event(records, shard))
    figures = client.get("/petitions/demo/totals").json_body
    assert figures["total"] == 0 and figures["by_country"] == {}
    assert "pending" not in json.dumps(figures)
    page = client.get("/petitions/demo/dashboard").body.decode()
    assert "pending" not in page.lower()


def test_no_personal_data_in_logs_when_signing_and_resending(client, verified, caplog):
    caplog.set_level(logging.DEBUG, logger="chalicelib")
    for _ in range(5):
        post_json(client)
    text = caplog.text.lower()
    assert "resend requested" in text and "resend capped" in text
    for secret in ("amina", "yusuf", "example.org"):
        assert secret not in text


def test_petition_admin_switches_verification_on_and_off(tables, capsys):
    assert petition_admin.main(["create", "verified", "--title", "T", "--summary", "S", "--goal", "10",
                                "--require-verification"]) == 0
    assert json.loads(capsys.readouterr().out)["require_verification"] is True
    assert petition_admin.main(["update", "verified", "--no-require-verification"]) == 0
    assert json.loads(capsys.readouterr().out)["require_verification"] is False
    assert petition_admin.main(["update", "verified", "--goal", "20"]) == 0  # leaves the flag alone
    assert json.loads(capsys.readouterr().out)["require_verification"] is False
    assert petition_admin.main(["update", "verified", "--require-verification"]) == 0
    assert models.Petition.get("verified").require_verification is True
