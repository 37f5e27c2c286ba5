"""Signing, tallying and mail for the data-rights tests."""
from __future__ import annotations

import pytest

from chalicelib.aws import config
from tests.support.mail import KeptMail

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def removal_outbox(tables, monkeypatch):
    """The mail sent, and the settings mail needs (set before the app's test client, which sets its own)."""
    box = KeptMail(link_pattern=r"https://\S+/remove/confirm\?token=\S+")
    monkeypatch.setattr("chalicelib.mail.sender", lambda: box)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://sign.example.org")
    monkeypatch.setenv("MAIL_FROM", "Countersign <petitions@example.org>")
    config.reset()
    yield box
    config.reset()
