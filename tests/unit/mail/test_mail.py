"""Mail: rendering the verification message, and both senders (SES on moto, SMTP to a real local server)."""
from __future__ import annotations

import email
import logging
from email import policy

import pytest
from moto import mock_aws

from chalicelib import mail
from chalicelib.aws import clients, config
from chalicelib.verification import message, tokens
from tools.caches import reset_caches

FROM = "Countersign <petitions@campaign.example.org>"


@pytest.fixture
def mail_settings(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://petitions.example.org/api/")
    monkeypatch.setenv("MAIL_FROM", FROM)
    monkeypatch.setenv("VERIFY_TOKEN_SECRET", "mail-test-secret")
    reset_caches()
    yield
    reset_caches()


def build(**overrides):
    fields = {"petition_id": "demo", "title": "Protect <people> & O'Brien's cause", "signature_key": "demo#abc123",
              "name": "Amina O'Brien", "email": "amina@example.org", "now": 1_800_000_000}
    return message.verification_message(**{**fields, **overrides})


def parts(msg):
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    return (parsed, parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content())


def test_the_message_has_both_parts_the_title_the_link_who_and_why(mail_settings):
    parsed, text, html = parts(build())
    assert parsed["Subject"] == "Confirm your signature: Protect <people> & O'Brien's cause"
    assert parsed["From"] == FROM and parsed["To"] == "amina@example.org"
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["Message-ID"].endswith("@campaign.example.org>")
    # plain text is not HTML-escaped; HTML is
    assert "Hello Amina O'Brien," in text and "\"Protect <people> & O'Brien's cause\"" in text
    assert "Protect &lt;people&gt; &amp; O&#39;Brien&#39;s cause" in html and "<people>" not in html
    for body in (text, html):
        assert "https://petitions.example.org/api/petitions/demo/confirm?token=" in body
        assert "7 days" in body and "30 days" in body          # link lifetime, and what happens if ignored
        assert "Who is asking" in body and "petitions.example.org" in body


def test_the_link_carries_a_token_for_this_signature_and_nothing_personal(mail_settings):
    _, text, _ = parts(build())
    link = next(line for line in text.splitlines() if "/confirm?token=" in line).strip()
    token = link.split("token=", 1)[1]
    assert "amina" not in link.lower() and "example.org" not in token
    check = tokens.read(token, "demo", now=1_800_000_000 + 60)
    assert (check.state, check.signature_key) == (tokens.TokenState.VALID, "demo#abc123")


def test_the_address_appears_only_in_the_recipient_header(mail_settings):
    raw = build().as_bytes().decode()
    headers, _, _ = raw.partition("\n\n")
    assert [line for line in headers.splitlines() if "amina@example.org" in line] == ["To: amina@example.org"]
    parsed, text, html = parts(build())
    assert "amina@example.org" not in text + html  # the body greets by name and needs no address


def test_a_line_break_in_a_title_does_not_break_the_subject_header(mail_settings):
    parsed, _, _ = parts(build(title="Line one\nBcc: someone@example.net"))
    assert parsed["Subject"] == "Confirm your signature: Line one Bcc: someone@example.net"
    assert parsed["Bcc"] is None


def test_campaign_news_is_mentioned_only_to_those_who_asked(mail_settings):
    assert "news of the campaign" not in parts(build())[1]
    assert "news of the campaign" in parts(build(updates=True))[1]


@pytest.mark.parametrize("missing", ["PUBLIC_BASE_URL", "MAIL_FROM"])
def test_without_a_base_url_or_sender_nothing_is_built(mail_settings, monkeypatch, missing):
    monkeypatch.delenv(missing)
    config.reset()
    with pytest.raises(message.NotConfigured):
        build()


def test_links_ignore_any_request_and_use_the_configured_base_url(mail_settings, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://other.example.org")
    config.reset()
    assert message.confirm_link("demo", "demo#k").startswith("https://other.example.org/petitions/demo/confirm?token=")


# ---- senders -----------------------------------------------------------------------

def test_the_transport_is_chosen_by_configuration(monkeypatch):
    for name, kind in (("ses", mail.SesSender), ("smtp", mail.SmtpSender), ("SMTP", mail.SmtpSender)):
        monkeypatch.setenv("MAIL_TRANSPORT", name)
        config.reset()
        assert isinstance(mail.sender(), kind)
    monkeypatch.setenv("MAIL_TRANSPORT", "pigeon")
    config.reset()
    with pytest.raises(mail.UnknownTransport):
        mail.sender()
    config.reset()


def test_ses_sender_sends_the_raw_message_through_sesv2(mail_settings):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    with mock_aws():
        clients.reset()
        clients.sesv2().create_email_identity(EmailIdentity="petitions@campaign.example.org")
        clients.sesv2().create_configuration_set(ConfigurationSetName="countersign-dev-mail")
        msg = build()
        message_id = mail.SesSender("countersign-dev-mail").send(msg)
        [sent] = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
        assert message_id == sent.id
        assert sent.raw_data.replace("\r\n", "\n") == msg.as_bytes().decode().replace("\r\n", "\n")
        assert "amina@example.org" in sent.destinations[0]
    clients.reset()


def test_ses_refusal_is_a_send_failure_that_names_no_address(mail_settings, caplog):
    with mock_aws():
        clients.reset()  # no verified identity: SES refuses the sender
        with pytest.raises(mail.SendFailed) as failed:
            mail.SesSender().send(build())
        assert "MessageRejected" in str(failed.value) and "example.org" not in str(failed.value)
    clients.reset()


def test_smtp_sender_delivers_to_an_smtp_server(mail_settings):
    from aiosmtpd.controller import Controller

    from tools.ddblocal import free_port

    received = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        msg = build()
        mail.SmtpSender("127.0.0.1", controller.port).send(msg)
    finally:
        controller.stop()
    [envelope] = received
    assert envelope.rcpt_tos == ["amina@example.org"]
    assert envelope.mail_from == "petitions@campaign.example.org"
    parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert parsed["Subject"] == msg["Subject"] and parsed.get_body(("html",)) is not None


def test_smtp_server_down_is_a_send_failure(mail_settings, caplog):
    from tools.ddblocal import free_port

    caplog.set_level(logging.DEBUG)
    with pytest.raises(mail.SendFailed):
        mail.SmtpSender("127.0.0.1", free_port()).send(build())
