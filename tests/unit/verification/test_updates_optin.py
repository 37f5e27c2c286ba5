"""Campaign updates on petitions without verification: the opt-in mail, its link, and the updates export.

Ticking "send me campaign updates" proves nothing (anyone can type anyone's
address). The stream mailer sends the address one mail; only its link's
button puts the signer on the updates list. Signing stays one request, the
mail is claimed once whatever the stream redelivers, and the totals never
move for any of it.
"""
from __future__ import annotations

import email
import io
import json
import time
from email import policy
from urllib.parse import urlencode

import pytest
from itsdangerous import TimestampSigner

from chalicelib.aws import config, models
from chalicelib.identity import canonical_email
from chalicelib.petitions import catalog
from chalicelib.rights import erasure, export
from chalicelib.tally import stream_tally, totals
from chalicelib.verification import updates
from tests.support.moto_stack import tally
from tests.support.streams import event, read_moto_stream
from tools import petition_admin
from tools.delivery_rules import passes_filters
from tools.stream_settings import MAILER, filter_patterns

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TICKED = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "GB", "consent": True,
          "updates_opt_in": True}


@pytest.fixture
def mailing(petition, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://petitions.example.org/api")
    monkeypatch.setenv("MAIL_FROM", "Countersign <petitions@example.org>")
    config.reset()
    config.settings()  # read now: the test client sets its stage's variables while a request runs
    return petition


def sign(client, body=TICKED, headers=None):
    reply = client.post("/petitions/demo/signatures", headers={**JSON, **(headers or {})}, body=json.dumps(body))
    assert reply.status_code == 202, reply.body


def records():
    [(_shard, found)] = read_moto_stream()
    return found


def run_mailer(batch):
    from tools.stream_consumers import app_handler

    return app_handler("mailer")(event(batch, "shardId-1"), None)


def key_of(address="amina@example.org"):
    return canonical_email.signature_key("demo", address, canonical_email.hash_secret())


def stored(address="amina@example.org") -> models.Signature:
    return models.Signature.get(key_of(address))


def link_in(message) -> str:
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()
    return text.split("/petitions/demo/updates/confirm?token=", 1)[1].split()[0]


def updates_export() -> list[str]:
    out = io.StringIO(newline="")
    export.write("demo", "updates", out, "jsonl", segments=2)
    return [json.loads(line)["email"] for line in out.getvalue().splitlines() if line]


def press(client, token, **headers):
    return client.post("/petitions/demo/updates/confirm", headers={**FORM, **headers},
                       body=urlencode({"token": token}))


# ---- the sign path and the mail -------------------------------------------------------

def test_signing_with_the_box_ticked_is_still_one_request(client, mailing, aws_calls):
    sign(client, {**TICKED, "email": "first@example.org"})  # the petition's configuration is now cached
    aws_calls.calls.clear()
    sign(client)
    assert aws_calls.calls == ["PutItem"]
    assert stored().updates_opt_in is True and stored().status == "confirmed"


def test_the_stream_mailer_sends_one_opt_in_mail_with_a_working_link(client, mailing, outbox):
    sign(client)
    assert run_mailer(records()) == {"batchItemFailures": []}
    [sent] = outbox.sent
    assert sent["To"] == "amina@example.org"
    assert sent["Subject"] == "Do you want news of the campaign? Protect people seeking asylum"
    token = link_in(sent)
    assert updates.read_token(token, "demo") == (updates.LinkState.VALID, (key_of(), stored().created_at))
    assert stored().updates_confirmed_at is None  # a mail is no consent


def test_the_mail_is_in_the_language_the_signer_read_the_form_in(client, mailing, outbox):
    sign(client, headers={"Accept-Language": "fr"})
    run_mailer(records())
    [sent] = outbox.sent
    assert sent["Subject"] == "Voulez-vous recevoir des nouvelles de la campagne ? Protect people seeking asylum"
    assert sent["Content-Language"] == "fr"


def test_redelivered_records_and_the_claims_own_record_send_nothing_more(client, mailing, outbox):
    sign(client)
    first = records()
    run_mailer(first)
    run_mailer(first)                        # the same batch again (at-least-once)
    everything = records()                   # now with the claim's MODIFY
    assert [r["eventName"] for r in everything] == ["INSERT", "MODIFY"]
    run_mailer(everything)
    run_mailer(list(reversed(everything)))
    assert len(outbox.sent) == 1
    assert stored().serialize()["updates_mail_sent"] == {"N": "1"}


def test_a_failed_send_gives_the_claim_back_and_the_retry_sends(client, mailing, outbox):
    sign(client)
    outbox.failing = True
    batch = records()
    assert run_mailer(batch) == {"batchItemFailures": [{"itemIdentifier": batch[0]["dynamodb"]["SequenceNumber"]}]}
    assert "updates_mail_sent" not in stored().serialize()
    outbox.failing = False
    assert run_mailer(batch) == {"batchItemFailures": []}
    assert len(outbox.sent) == 1


def test_no_opt_in_mail_without_the_box_or_on_a_petition_with_verification(client, mailing, outbox):
    sign(client, {**TICKED, "updates_opt_in": False, "email": "nobox@example.org"})
    run_mailer(records())
    assert outbox.sent == []
    petition_admin.update("demo", require_verification=True)
    catalog.reset()
    sign(client, {**TICKED, "email": "verified@example.org"})
    run_mailer(records())
    [sent] = outbox.sent                     # the verification mail only: confirming it proves the address
    assert "/petitions/demo/confirm?token=" in sent.get_body(("plain",)).get_content()


def test_the_deployed_filter_lets_through_the_insert_and_not_the_claim(client, mailing, outbox):
    sign(client)
    run_mailer(records())
    insert, claim = records()
    patterns = filter_patterns(MAILER)
    assert passes_filters(insert, patterns) and not passes_filters(claim, patterns)
    sign(client, {**TICKED, "updates_opt_in": False, "email": "nobox@example.org"})
    assert not passes_filters(records()[-1], patterns)


# ---- the link -------------------------------------------------------------------------

def test_the_link_shows_a_button_and_changes_nothing(client, mailing, outbox):
    sign(client)
    run_mailer(records())
    token = link_in(outbox.sent[0])
    page = client.get(f"/petitions/demo/updates/confirm?token={token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    body = page.body.decode()
    assert 'action="/petitions/demo/updates/confirm?lang=en"' in body and token in body
    assert stored().updates_confirmed_at is None


def test_pressing_the_button_confirms_once_and_puts_them_on_the_updates_list_totals_unchanged(
        client, mailing, outbox):
    sign(client)
    sign(client, {**TICKED, "name": "Jean Dupont", "email": "jean@example.org", "country": "FR"})
    run_mailer(records())
    tally()
    before = totals.read("demo")
    assert updates_export() == []            # ticked, not proven: nobody on the list
    token = next(link_in(m) for m in outbox.sent if m["To"] == "amina@example.org")
    reply = press(client, token)
    assert reply.status_code == 200 and "You will get news of the campaign" in reply.body.decode()
    stamp = stored().updates_confirmed_at
    assert stamp is not None
    again = press(client, token)             # idempotent: the same answer in other words, the stamp unchanged
    assert again.status_code == 200 and "already" in again.body.decode()
    assert stored().updates_confirmed_at == stamp
    assert updates_export() == ["amina@example.org"]
    for shard, found in read_moto_stream():
        stream_tally.handle(event(found, shard))
    totals.reset()
    assert totals.read("demo") == before     # not a change of status: the count does not move


def test_the_pages_speak_the_signers_language(client, mailing, outbox):
    sign(client, headers={"Accept-Language": "uk"})
    run_mailer(records())
    token = link_in(outbox.sent[0])
    page = client.get(f"/petitions/demo/updates/confirm?token={token}&lang=uk")
    assert page.headers["Content-Language"] == "uk"
    assert "Так, надсилайте мені новини кампанії" in page.body.decode()
    done = press(client, token, **{"Accept-Language": "ar"})
    assert done.headers["Content-Language"] == "ar" and 'dir="rtl"' in done.body.decode()


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(client, mailing, monkeypatch):
    sign(client)
    old = int(time.time()) - config.settings().verify_link_seconds - 60
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: old)
        token = updates.make_token(key_of(), stored().created_at)
    assert client.get(f"/petitions/demo/updates/confirm?token={token}").status_code == 410
    reply = press(client, token)
    assert reply.status_code == 410 and "This link has expired" in reply.body.decode()
    assert stored().updates_confirmed_at is None


@pytest.mark.parametrize("token", ["", "bogus", "x" * 600])
def test_a_broken_link_is_a_400_page(client, mailing, token):
    assert client.get(f"/petitions/demo/updates/confirm?token={token}").status_code == 400
    assert press(client, token).status_code == 400


def test_other_tokens_do_not_pass_as_an_opt_in(client, mailing):
    sign(client)
    key = key_of()
    removal = erasure.make_token(key)        # signed with the same secret, another salt
    assert press(client, removal).status_code == 400
    petition_admin.create("other", "Another", "Another petition.", 10)
    other = updates.make_token(key, stored().created_at)
    assert client.post("/petitions/other/updates/confirm", headers=FORM,
                       body=urlencode({"token": other})).status_code == 400
    assert stored().updates_confirmed_at is None


def test_a_removed_signature_and_a_later_one_under_the_same_key_are_not_confirmed(client, mailing, outbox):
    sign(client)
    run_mailer(records())
    token = link_in(outbox.sent[0])
    erasure.erase_key(key_of(), erasure.Channel.OPERATOR, "test")
    assert press(client, token).status_code == 404
    time.sleep(1.1)                          # a new signature: another creation time
    sign(client)
    reply = press(client, token)
    assert reply.status_code == 404 and stored().updates_confirmed_at is None
    with pytest.raises(models.Signature.DoesNotExist):
        models.Signature.get(key_of("nobody@example.org"))


def test_unreadable_bodies_and_unknown_petitions(client, mailing):
    reply = client.post("/petitions/demo/updates/confirm", headers={"Content-Type": "text/plain"}, body="token")
    assert reply.status_code == 415 and "<h1>" in reply.body.decode()
    assert client.get("/petitions/nothing-here/updates/confirm?token=x").status_code == 404


def test_storage_failing_is_a_503_page(client, mailing, monkeypatch):
    from botocore.exceptions import ClientError

    def broken(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                          "UpdateItem")

    sign(client)
    token = updates.make_token(key_of(), stored().created_at)
    monkeypatch.setattr(updates.clients, "dynamodb", lambda: type("D", (), {"update_item": broken,
                                                                        "get_item": broken})())
    assert press(client, token).status_code == 503
    assert client.get(f"/petitions/demo/updates/confirm?token={token}").status_code == 503
