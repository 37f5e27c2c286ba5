"""The sign path with the fraud controls: identity stored in the one write, blocklists, disposable addresses."""
import json

import pytest

from chalicelib.aws import config, models, parameters
from chalicelib.fraud import identity
from chalicelib.tally.stream_tally import counted_as
from tests.support.signing import GOOD, GOOD_FORM, post_form, post_json, stored

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def lists(tmp_path, monkeypatch):
    """Blocklists from a file, as under make run."""
    path = tmp_path / "blocklists.json"

    def write(document: dict):
        path.write_text(json.dumps(document))
        parameters.reset()

    monkeypatch.setenv("BLOCKLIST_FILE", str(path))
    config.reset()
    parameters.reset()
    yield write
    monkeypatch.delenv("BLOCKLIST_FILE")
    config.reset()
    parameters.reset()


def test_the_signature_carries_its_senders_hashed_address_and_agent(client, petition):
    assert post_json(client, GOOD, headers={"User-Agent": BROWSER}).status_code == 202
    [sig] = stored()
    assert sig.ip_hash == identity.ip_hash("127.0.0.1", b"test-secret")  # Chalice's local source address
    assert identity.email_domain(sig.email) == "example.org"  # the domain is the stored address's
    assert sig.user_agent == "firefox"
    raw = json.dumps(sig.serialize())
    assert "127.0.0.1" not in raw and BROWSER not in raw


def test_a_forwarded_for_header_is_not_believed_by_default(client, petition):
    post_json(client, GOOD, headers={"X-Forwarded-For": "203.0.113.7"})
    [sig] = stored()
    assert sig.ip_hash == identity.ip_hash("127.0.0.1", b"test-secret")


def test_a_blocklisted_domain_is_stored_fraudulent_with_the_normal_answer(lists, client, petition, aws_calls):
    lists({"blocked_domains": ["**.bulk.example"]})
    honest = post_json(client, {**GOOD, "email": "a@example.org"})
    aws_calls.calls.clear()
    scripted = post_json(client, {**GOOD, "email": "bot@x.bulk.example"})
    assert aws_calls.calls == ["PutItem"]  # still exactly one request
    assert (scripted.status_code, scripted.json_body) == (honest.status_code, honest.json_body)
    form = post_form(client, {**GOOD_FORM, "email": "bot2@y.bulk.example"})
    assert form.status_code == 303
    statuses = {s.email: s.status for s in stored()}
    assert statuses == {"a@example.org": "confirmed", "bot@x.bulk.example": "fraudulent",
                        "bot2@y.bulk.example": "fraudulent"}
    fraudulent = next(s for s in stored() if s.status == "fraudulent")
    assert counted_as(fraudulent.serialize()) is None  # the tally never counts it


def test_a_blocklisted_network_is_fraudulent_and_an_allowed_address_wins(lists, client, petition):
    lists({"blocked_networks": ["127.0.0.0/8"]})
    post_json(client, {**GOOD, "email": "one@example.org"})
    lists({"blocked_networks": ["127.0.0.0/8"], "allowed_networks": ["127.0.0.1"]})
    post_json(client, {**GOOD, "email": "two@example.org"})
    assert {s.email: s.status for s in stored()} == {"one@example.org": "fraudulent", "two@example.org": "confirmed"}


def test_a_fraudulent_signature_on_a_verified_petition_asks_for_no_mail(lists, client, petition):
    models.Petition.get("demo").update(actions=[models.Petition.require_verification.set(True)])
    from chalicelib.petitions import catalog
    catalog.reset()
    lists({"blocked_domains": ["spam.example"]})
    response = post_json(client, {**GOOD, "email": "bot@spam.example"})
    assert response.status_code == 202 and response.json_body["confirmation_required"] is True
    [sig] = stored()
    assert sig.status == "fraudulent" and sig.mail_requested is None and sig.expires_at is None


@pytest.mark.parametrize("address", ["someone@mailinator.com", "someone@sub.mailinator.com"])
def test_a_disposable_address_is_a_422_on_the_email_field(client, petition, address):
    response = post_json(client, {**GOOD, "email": address})
    assert response.status_code == 422
    assert "temporary" in response.json_body["errors"]["email"]
    assert set(response.json_body["errors"]) == {"email"}
    assert stored() == []


def test_a_disposable_address_redraws_the_form_with_the_message(client, petition):
    response = post_form(client, {**GOOD_FORM, "email": "someone@mailinator.com"}, headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert "temporary (disposable) email address" in response.body.decode()
