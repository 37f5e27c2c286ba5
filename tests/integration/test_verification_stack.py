"""Verified signatures on DynamoDB Local through the dev stack: real SMTP, real .eml files, both stream readers."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support.stack import acknowledged, http, mails_to, sign, totals, wait_for_mails, wait_for_totals
from tools.devstack import ROOT, DevStack

pytestmark = pytest.mark.integration

PETITION = "verified"


def create_verified_petition(stack: DevStack) -> None:
    """As a campaigner would: make petition ARGS='create ... --require-verification'."""
    result = subprocess.run([sys.executable, "-m", "tools.petition_admin", "create", PETITION, "--title",
                             "Protect people seeking asylum", "--summary", "Five asks.", "--goal", "1000",
                             "--require-verification"], cwd=ROOT, env=stack.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr






def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://\S+/confirm\?token=\S+", text).group(0)


def signature_item(stack: DevStack, address: str) -> dict:
    from chalicelib.identity.canonical_email import signature_key
    from tools.devstack import signature_secret

    key = signature_key(PETITION, address, signature_secret(stack.state_dir).encode())
    return stack.client().get_item(TableName=stack.tables["SIGNATURES_TABLE"], ConsistentRead=True,
                                   Key={"signature_key": {"S": key}})["Item"]


def settled(stack: DevStack, sentinel: str) -> None:
    """Every record before a new signature has been through the mailer once its mail has arrived."""
    assert acknowledged(sign(stack.base_url, "Sentinel", sentinel, "KE", petition=PETITION))
    wait_for_mails(stack, sentinel, 1)


def test_sign_mail_link_confirm_and_the_totals_move(stack):
    create_verified_petition(stack)
    address = "amina@example.org"
    assert acknowledged(sign(stack.base_url, "Amina Yusuf", address, "GB", petition=PETITION))
    [message] = wait_for_mails(stack, address, 1)
    assert message["Subject"] == "Confirm your signature: Protect people seeking asylum"
    link = link_in(message)
    assert link.startswith(stack.base_url + f"/petitions/{PETITION}/confirm?token=")  # from PUBLIC_BASE_URL

    page = http().get(link, timeout=30)
    assert page.status_code == 200 and "Confirm my signature" in page.text
    assert signature_item(stack, address)["status"]["S"] == "pending"
    assert totals(stack.base_url, PETITION)["total"] == 0

    token = link.split("token=", 1)[1]
    confirmed = http().post(f"{stack.base_url}/petitions/{PETITION}/confirm", data={"token": token}, timeout=30)
    assert confirmed.status_code == 200 and "Your signature is confirmed" in confirmed.text
    wait_for_totals(stack.base_url, {"GB": 1}, petition=PETITION)

    again = http().post(f"{stack.base_url}/petitions/{PETITION}/confirm", data={"token": token}, timeout=30)
    assert again.status_code == 200 and "already confirmed" in again.text

    # the same person signs again: the same answer, no mail, no change
    assert acknowledged(sign(stack.base_url, "Amina Yusuf", "AMINA@example.org", "GB", petition=PETITION))
    settled(stack, "sentinel@example.org")
    assert len(mails_to(stack, address)) == 1
    assert totals(stack.base_url, PETITION)["by_country"] == {"GB": 1}


def test_signing_again_while_pending_resends_the_link_at_most_three_times(stack):
    create_verified_petition(stack)
    address = "bea@example.org"
    answers = [sign(stack.base_url, "Bea Example", address, "FR", petition=PETITION) for _ in range(6)]
    assert len({(a.status_code, a.headers.get("Location"), a.text) for a in answers}) == 1
    assert int(signature_item(stack, address)["mail_requested"]["N"]) == 4
    mails = wait_for_mails(stack, address, 4)
    settled(stack, "sentinel@example.org")
    assert len(mails_to(stack, address)) == 4 == len(mails)
    assert int(signature_item(stack, address)["mail_sent"]["N"]) == 4
    assert len({link_in(m) for m in mails}) >= 1
    assert totals(stack.base_url, PETITION)["total"] == 0  # pending counts nowhere
    # any of the links confirms
    token = link_in(mails[0]).split("token=", 1)[1]
    assert http().post(f"{stack.base_url}/petitions/{PETITION}/confirm", data={"token": token},
                       timeout=30).status_code == 200
    wait_for_totals(stack.base_url, {"FR": 1}, petition=PETITION)
