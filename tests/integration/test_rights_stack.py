"""Data rights on DynamoDB Local through the dev stack: erasure by the signer's link and by the operator,
and the campaign-updates opt-in, with real SMTP (.eml files), both stream readers, exact totals and
`make reconcile` reporting no drift afterwards."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.support.stack import acknowledged, http, sign, stored_by_country, totals, wait_for_mails, wait_for_totals
from tools.devstack import ROOT, DevStack

pytestmark = pytest.mark.integration


def run(stack: DevStack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=stack.env, capture_output=True, text=True,
                          timeout=120)


def no_drift(stack: DevStack) -> None:
    result = run(stack, "tools.reconcile", "--quiet-seconds", "0")
    assert result.returncode == 0 and "no drift" in result.stdout, result.stdout + result.stderr


def link(message, path: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"http://\S+{re.escape(path)}\?token=\S+", text).group(0)


def press(url: str) -> int:
    """GET the link's page, then POST its one button (as a browser without JavaScript would)."""
    page = http().get(url, timeout=30)
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    return http().post(url.split("?", 1)[0], data={"token": token}, timeout=30).status_code


def test_self_service_and_operator_erasure_leave_exact_totals_and_no_drift(stack):
    people = [("Amina Yusuf", "amina@example.org", "GB"), ("Li Wei", "li@example.org", "GB"),
              ("Jean Dupont", "jean@example.org", "FR"), ("Zoë Müller", "zoe@example.org", "DE")]
    for name, address, country in people:
        assert acknowledged(sign(stack.base_url, name, address, country))
    wait_for_totals(stack.base_url, {"GB": 2, "FR": 1, "DE": 1})

    # The signer's own link: ask, read the mail, press the button.
    asked = http().post(f"{stack.base_url}/petitions/demo/remove", data={"email": "li@example.org"}, timeout=30)
    assert asked.status_code == 200
    [message] = wait_for_mails(stack, "li@example.org", 1)
    assert press(link(message, "/petitions/demo/remove/confirm")) == 200
    wait_for_totals(stack.base_url, {"GB": 1, "FR": 1, "DE": 1})

    # The operator: one petition, then every petition.
    erased = run(stack, "tools.signer_rights", "erase", "demo", "jean@example.org")
    assert erased.returncode == 0, erased.stderr
    everywhere = run(stack, "tools.signer_rights", "erase", "zoe@example.org")
    assert everywhere.returncode == 0, everywhere.stderr
    wait_for_totals(stack.base_url, {"GB": 1})
    assert totals(stack.base_url)["total"] == 1
    assert stored_by_country(stack) == {"GB": 1}
    no_drift(stack)
    held = run(stack, "tools.signer_rights", "data", "jean@example.org")
    assert held.returncode == 0 and json.loads(held.stdout)["signatures"] == []


def test_the_campaign_updates_opt_in_mail_and_link_leave_the_totals_alone(stack, tmp_path):
    address = "amina@example.org"
    response = http().post(f"{stack.base_url}/petitions/demo/signatures", json={
        "name": "Amina Yusuf", "email": address, "country": "GB", "consent": True, "updates_opt_in": True},
        headers={"Accept-Language": "fr"}, timeout=30)
    assert response.status_code == 202
    assert acknowledged(sign(stack.base_url, "Li Wei", "li@example.org", "GB"))  # no box: no mail
    wait_for_totals(stack.base_url, {"GB": 2})
    [message] = wait_for_mails(stack, address, 1)
    assert message["Subject"].startswith("Voulez-vous recevoir des nouvelles de la campagne ?")
    url = link(message, "/petitions/demo/updates/confirm")
    token = url.split("token=", 1)[1]
    assert press(url) == 200
    again = http().get(url, timeout=30)      # the link again: done before, no button, nothing changes
    assert again.status_code == 200 and 'name="token"' not in again.text
    assert http().post(url.split("?", 1)[0], data={"token": token}, timeout=30).status_code == 200
    out = tmp_path / "updates.jsonl"
    exported = run(stack, "tools.export", "demo", "--kind", "updates", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert [json.loads(line)["email"] for line in out.read_text().splitlines()] == [address]
    assert totals(stack.base_url)["by_country"] == {"GB": 2}
    assert wait_for_mails(stack, "li@example.org", 0) == []
    no_drift(stack)
