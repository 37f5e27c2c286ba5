"""Following the link: GET shows a button and changes nothing, POST confirms once, every problem a clear 4xx."""
from __future__ import annotations

import email
import json
import time
from email import policy
from urllib.parse import urlencode, urlsplit

import pytest

from chalicelib.aws import clients, config, models
from chalicelib.aws.models import PetitionStatus, SignatureStatus
from chalicelib.petitions import catalog
from chalicelib.tally import stream_tally, totals
from chalicelib.verification import tokens
from tests.support.mailer import GOOD, run_mailer, sign
from tests.support.streams import event, read_moto_stream
from tools import petition_admin

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def verified(petition, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://petitions.example.org")
    monkeypatch.setenv("MAIL_FROM", "petitions@example.org")
    config.reset()
    petition_admin.update("demo", require_verification=True)
    catalog.reset()
    return "demo"


def mailed_link(outbox, index=-1) -> str:
    parsed = email.message_from_bytes(outbox.sent[index].as_bytes(), policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()
    url = next(word for word in text.split() if "/confirm?token=" in word)
    parts = urlsplit(url)
    assert parts.netloc == "petitions.example.org"  # from PUBLIC_BASE_URL, whatever Host the signer used
    return f"{parts.path}?{parts.query}"


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]


def signed_and_mailed(client, outbox, body=GOOD) -> str:
    sign(client, body)
    [(_, records)] = read_moto_stream()
    run_mailer(records)
    return mailed_link(outbox)


def post(client, token, path="/petitions/demo/confirm", as_json=False):
    if as_json:
        return client.post(path, headers={"Content-Type": "application/json"}, body=json.dumps({"token": token}))
    return client.post(path, headers=FORM, body=urlencode({"token": token}))


def the_signature() -> models.Signature:
    [signature] = list(models.Signature.scan())
    return signature


def tally():
    for shard, records in read_moto_stream():
        assert stream_tally.handle(event(records, shard))["batchItemFailures"] == []


def test_get_shows_one_button_and_changes_nothing(client, verified, outbox, aws_calls):
    link = signed_and_mailed(client, outbox)
    aws_calls.calls.clear()
    response = client.get(link, headers={"Host": "evil.example"})
    assert response.status_code == 200
    page = response.body.decode()
    assert page.count("<button") == 1 and "Confirm my signature" in page
    assert f'name="token" value="{token_of(link)}"' in page
    assert 'action="/petitions/demo/confirm?lang=en"' in page
    assert aws_calls.writes() == []
    assert the_signature().status == SignatureStatus.PENDING
    for name, value in (("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer")):
        assert response.headers[name] == value


def test_post_confirms_and_the_tally_counts_it_once(client, verified, outbox):
    link = signed_and_mailed(client, outbox)
    tally()
    assert totals.read("demo")["total"] == 0
    response = post(client, token_of(link))
    assert response.status_code == 200
    assert "<h1>Your signature is confirmed</h1>" in response.body.decode()
    sig = the_signature()
    assert sig.status == SignatureStatus.CONFIRMED and sig.expires_at is None and sig.confirmed_at
    tally()
    tally()  # the whole stream again
    assert totals.read("demo")["by_country"] == {"GB": 1}


def test_a_second_confirmation_says_already_confirmed_and_writes_nothing(client, verified, outbox, aws_calls):
    token = token_of(signed_and_mailed(client, outbox))
    post(client, token)
    before = the_signature().attribute_values
    again = post(client, token)
    assert again.status_code == 200 and "already confirmed" in again.body.decode()
    assert the_signature().attribute_values == before
    looked = client.get(f"/petitions/demo/confirm?token={token}").body.decode()
    assert "already confirmed" in looked and "Confirm my signature" not in looked
    tally()
    assert totals.read("demo")["total"] == 1


def test_json_clients_get_json(client, verified, outbox):
    token = token_of(signed_and_mailed(client, outbox))
    first = post(client, token, as_json=True)
    assert (first.status_code, first.json_body["status"]) == (200, "confirmed")
    assert post(client, token, as_json=True).json_body["status"] == "already_confirmed"
    broken = post(client, token[:-3], as_json=True)
    assert broken.status_code == 400 and broken.json_body["reason"] == "broken_link" and broken.json_body["error"]


@pytest.mark.parametrize("mangle", [lambda t: t[:-2], lambda t: t + "x", lambda t: "", lambda t: "a.b.c"])
def test_a_tampered_or_missing_token_is_400(client, verified, outbox, mangle):
    token = token_of(signed_and_mailed(client, outbox))
    for response in (client.get(f"/petitions/demo/confirm?token={mangle(token)}"), post(client, mangle(token))):
        assert response.status_code == 400
        assert "This confirmation link doesn&#39;t work" in response.body.decode()
    assert client.get("/petitions/demo/confirm").status_code == 400
    assert the_signature().status == SignatureStatus.PENDING


def test_a_token_for_another_petition_is_404(client, verified, outbox):
    petition_admin.create("other", "Other", "Another petition.", 100, require_verification=True)
    token = token_of(signed_and_mailed(client, outbox))
    response = post(client, token, path="/petitions/other/confirm")
    assert response.status_code == 404 and "another petition" in response.body.decode()
    assert the_signature().status == SignatureStatus.PENDING


def test_an_unknown_petition_is_404(client, verified):
    token = tokens.make("nope#abc")
    assert client.get(f"/petitions/nope/confirm?token={token}").status_code == 404
    assert post(client, token, path="/petitions/nope/confirm").status_code == 404


def test_an_expired_link_is_410_and_offers_a_fresh_one(client, verified, outbox, monkeypatch):
    token = token_of(signed_and_mailed(client, outbox))
    later = time.time() + 8 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    page = client.get(f"/petitions/demo/confirm?token={token}")
    assert page.status_code == 410
    body = page.body.decode()
    assert "has expired" in body and 'action="/petitions/demo/confirm/resend?lang=en"' in body
    assert f'value="{token}"' in body
    assert post(client, token).status_code == 410
    assert the_signature().status == SignatureStatus.PENDING
    # the button asks for the link again, which the mailer sends
    resent = post(client, token, path="/petitions/demo/confirm/resend")
    assert resent.status_code == 200 and "sent you a new link" in resent.body.decode()
    assert the_signature().mail_requested == 2
    [(_, records)] = read_moto_stream()
    run_mailer(records)
    assert len(outbox.sent) == 2
    fresh = token_of(mailed_link(outbox))
    assert post(client, fresh).status_code == 200
    assert the_signature().status == SignatureStatus.CONFIRMED


def test_fresh_links_are_capped_like_resends(client, verified, outbox):
    token = token_of(signed_and_mailed(client, outbox))
    answers = [post(client, token, path="/petitions/demo/confirm/resend", as_json=True) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json_body["reason"] == "too_many_links"
    assert the_signature().mail_requested == 4


def test_a_fresh_link_for_a_confirmed_signature_says_already_confirmed(client, verified, outbox):
    token = token_of(signed_and_mailed(client, outbox))
    post(client, token)
    response = post(client, token, path="/petitions/demo/confirm/resend", as_json=True)
    assert response.json_body["status"] == "already_confirmed"


def test_a_signature_that_is_gone_is_404_and_offers_to_sign_again(client, verified, outbox):
    token = token_of(signed_and_mailed(client, outbox))
    clients.dynamodb().delete_item(TableName=config.settings().signatures_table,
                               Key={"signature_key": {"S": the_signature().signature_key}})
    for response in (client.get(f"/petitions/demo/confirm?token={token}"), post(client, token),
                     post(client, token, path="/petitions/demo/confirm/resend")):
        assert response.status_code == 404
        assert "Sign the petition again" in response.body.decode()


def test_an_unconfirmed_signature_past_its_expiry_cannot_be_confirmed(client, verified, outbox, monkeypatch):
    monkeypatch.setenv("PENDING_EXPIRY_DAYS", "1")
    monkeypatch.setenv("VERIFY_LINK_DAYS", "3")
    config.reset()
    config.settings()  # read now: Chalice's test client puts its dev stage's variables in place during a request
    token = token_of(signed_and_mailed(client, outbox))
    later = time.time() + 2 * 86400  # the link still works; DynamoDB has not deleted the item yet
    monkeypatch.setattr(time, "time", lambda: later)
    assert post(client, token).status_code == 404
    assert the_signature().status == SignatureStatus.PENDING


def test_a_closed_petition_is_409(client, verified, outbox):
    token = token_of(signed_and_mailed(client, outbox))
    petition_admin.update("demo", status=PetitionStatus.CLOSED)
    catalog.reset()
    assert post(client, token).status_code == 409
    assert client.get(f"/petitions/demo/confirm?token={token}").status_code == 409


@pytest.mark.parametrize("body, content_type, status", [
    (b"{not json", "application/json", 400),
    (b"token=%ff", "application/x-www-form-urlencoded", 400),
    (b"x" * (17 * 1024), "application/x-www-form-urlencoded", 413),
    (b"<token/>", "text/xml", 415),
])
def test_unreadable_bodies_are_4xx(client, verified, body, content_type, status):
    response = client.post("/petitions/demo/confirm", headers={"Content-Type": content_type}, body=body)
    assert response.status_code == status


def test_a_json_token_that_is_not_text_is_400(client, verified):
    response = client.post("/petitions/demo/confirm", headers={"Content-Type": "application/json"},
                           body=json.dumps({"token": 12}))
    assert response.status_code == 400


def test_storage_failure_is_503_not_500(client, verified, outbox, monkeypatch):
    from botocore.exceptions import ClientError

    token = token_of(signed_and_mailed(client, outbox))
    dynamodb = clients.dynamodb()

    def broken(**kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, "UpdateItem")

    monkeypatch.setattr(dynamodb, "update_item", broken)
    monkeypatch.setattr(dynamodb, "get_item", broken)
    assert post(client, token).status_code == 503
    assert client.get(f"/petitions/demo/confirm?token={token}").status_code == 503


def test_the_signatures_table_expires_pending_signatures_by_ttl(tables):
    reply = tables.describe_time_to_live(TableName=config.settings().signatures_table)["TimeToLiveDescription"]
    assert (reply["TimeToLiveStatus"], reply["AttributeName"]) == ("ENABLED", "expires_at")
