"""Erasure: by the signer's mailed link and by the operator; the count drops by one, a record stays, nothing else."""
from __future__ import annotations

import hashlib
import logging
import re
import time
from urllib.parse import urlencode

import pytest

from chalicelib.audit import trail
from chalicelib.aws import config
from chalicelib.identity import canonical_email
from chalicelib.rights import erasure
from tests.support.moto_stack import sign, tally, totals
from tests.support.rights import FORM
from tools import reconcile


@pytest.fixture
def three(removal_outbox, client, petition):
    sign(client, "Amina Yusuf", "Amina.Yusuf+petition@Example.org", "GB")
    sign(client, "Li Wei", "li@example.org", "GB")
    sign(client, "Jean Dupont", "jean@example.org", "FR")
    tally()
    assert totals(client)["by_country"] == {"GB": 2, "FR": 1}
    return client


def old_token(signature_key: str, days: float) -> str:
    """An erasure token made ``days`` ago, with the real secret and salt."""
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from chalicelib.verification import tokens

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - days * 86400)

    return URLSafeTimedSerializer(tokens.secret(), salt=erasure.SALT, signer=Then,
                                  signer_kwargs={"digest_method": hashlib.sha256}).dumps(signature_key)


def ask(client, email, petition="demo"):
    return client.post(f"/petitions/{petition}/remove", headers=FORM, body=urlencode({"email": email}))


def path_of(link: str) -> str:
    return link.split("sign.example.org", 1)[1]


def no_drift():
    return reconcile.check(segments=2, quiet_seconds=0) == []


def test_the_removal_page_is_linked_from_the_sign_and_thanks_pages(client, petition):
    for page in ("sign", "thanks"):
        body = client.get(f"/petitions/demo/{page}").body.decode()
        assert 'href="/petitions/demo/remove">Remove my signature</a>' in body
    form = client.get("/petitions/demo/remove")
    assert form.status_code == 200 and form.headers["Cache-Control"]
    assert 'name="email"' in form.body.decode()


def test_the_answer_is_the_same_whatever_the_address(three, removal_outbox):
    signed, stranger = ask(three, "li@example.org"), ask(three, "nobody@example.org")
    assert signed.status_code == stranger.status_code == 200
    assert signed.body == stranger.body
    assert "If that address signed" in signed.body.decode()
    assert len(removal_outbox.sent) == 1 and removal_outbox.sent[0]["To"] == "li@example.org"
    assert signed.headers["Cache-Control"] == "no-store"


def test_self_service_removal_takes_one_off_the_right_country_and_leaves_a_record(three, removal_outbox):
    assert ask(three, "amina.yusuf@example.org").status_code == 200  # the canonical address finds the signature
    link = removal_outbox.link()
    assert link.startswith("https://sign.example.org/petitions/demo/remove/confirm?token=")
    page = three.get(path_of(link))  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and "Remove my signature" in page.body.decode()
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    tally()
    assert totals(three)["by_country"] == {"GB": 2, "FR": 1}
    token = re.search(r'name="token" value="([^"]+)"', page.body.decode()).group(1)
    done = three.post("/petitions/demo/remove/confirm", headers=FORM, body=urlencode({"token": token}))
    assert done.status_code == 200 and "has been removed" in done.body.decode()
    tally()
    assert totals(three)["by_country"] == {"GB": 1, "FR": 1} and totals(three)["total"] == 2
    assert no_drift()
    record = erasure.records()[0]
    assert (record.petition_id, record.after) == ("demo", {"channel": "signer's emailed link"})
    assert "amina" not in repr(record).lower() and "#" not in repr(record.as_json())
    again = three.post("/petitions/demo/remove/confirm", headers=FORM, body=urlencode({"token": token}))
    assert again.status_code == 404 and "no signature" in again.body.decode()


def test_an_altered_or_expired_link_removes_nothing(three, removal_outbox, monkeypatch):
    ask(three, "jean@example.org")
    token = removal_outbox.link().split("token=", 1)[1]
    broken = three.post("/petitions/demo/remove/confirm", headers=FORM, body=urlencode({"token": token[:-3] + "AAA"}))
    assert broken.status_code == 400
    assert three.get("/petitions/demo/remove/confirm?token=").status_code == 400
    key = canonical_email.signature_key("demo", "jean@example.org", canonical_email.hash_secret())
    assert three.post("/petitions/demo/remove/confirm", headers=FORM,
                      body=urlencode({"token": old_token(key, days=2)})).status_code == 410
    tally()
    assert totals(three)["total"] == 3


def test_a_confirmation_link_token_is_not_an_erasure_token(three, removal_outbox):
    from chalicelib.verification import tokens

    key = canonical_email.signature_key("demo", "jean@example.org", canonical_email.hash_secret())
    reply = three.post("/petitions/demo/remove/confirm", headers=FORM, body=urlencode({"token": tokens.make(key)}))
    assert reply.status_code == 400


def test_one_link_per_ten_minutes_so_the_form_cannot_flood_an_inbox(three, removal_outbox):
    for _ in range(4):
        assert ask(three, "li@example.org").status_code == 200
    assert len(removal_outbox.sent) == 1


def test_a_malformed_address_gets_its_own_message(three, removal_outbox):
    reply = ask(three, "not-an-address")
    assert reply.status_code == 422 and "valid email address" in reply.body.decode()
    assert three.post("/petitions/demo/remove", headers={"Content-Type": "text/plain"}, body="x").status_code == 415
    assert ask(three, "li@example.org", petition="no-such").status_code == 404
    assert removal_outbox.sent == []


def test_no_personal_data_in_the_logs(three, removal_outbox, caplog):
    caplog.set_level(logging.DEBUG, logger="chalicelib")
    ask(three, "li@example.org")
    token = removal_outbox.link().split("token=", 1)[1]
    three.post("/petitions/demo/remove/confirm", headers=FORM, body=urlencode({"token": token}))
    logged = caplog.text.lower()
    assert "li@example.org" not in logged and "li wei" not in logged and token not in caplog.text


def test_the_operator_erases_one_petitions_signature_by_its_key(three, capsys):
    from tools import signer_rights

    assert signer_rights.main(["erase", "demo", "JEAN@example.org"]) == 0
    assert "removed from demo" in capsys.readouterr().out
    tally()
    assert totals(three)["by_country"] == {"GB": 2}
    assert no_drift()
    record = erasure.records()[0]
    assert record.after == {"channel": "operator"} and record.actor.startswith("make erase")
    assert signer_rights.main(["erase", "demo", "jean@example.org"]) == 1  # nothing left to erase


def test_the_operator_erases_an_address_from_every_petition_without_scanning_signatures(three, aws_calls):
    from tools import petition_admin, signer_rights

    petition_admin.create("other", "Another", "Another one.", 10)
    sign(three, "Li Wei", "li@example.org", "CN", petition="other")
    tally()
    aws_calls.meter.reset()
    assert signer_rights.main(["erase", "li@example.org"]) == 0
    scanned = {call.params.get("TableName") for call in aws_calls.calls if call == "Scan"}
    assert aws_calls.calls.count("DeleteItem") >= 2
    assert config.settings().signatures_table not in scanned
    tally()
    assert totals(three)["by_country"] == {"GB": 1, "FR": 1}
    assert totals(three, "other")["total"] == 0
    assert sorted(e.petition_id for e in erasure.records()) == ["demo", "other"]
    assert no_drift()


def test_every_erasure_record_holds_no_personal_data(three):
    erasure.erase("li@example.org", "demo", "make erase (tester)")
    (entry,) = [e for e in trail.latest() if e.action == "erase"]
    text = repr(entry.as_json()).lower()
    key = canonical_email.signature_key("demo", "li@example.org", canonical_email.hash_secret())
    assert "example.org" not in text and "wei" not in text and key.split("#")[1] not in text
    assert (entry.petition_id, entry.after) == ("demo", {"channel": "operator"}) and entry.at.endswith("Z")
