"""Signing, tallying and mail for the data-rights tests."""
from __future__ import annotations

import re

import pytest

from chalicelib.aws import config

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Outbox:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)

    def link(self) -> str:
        text = self.sent[-1].get_body(preferencelist=("plain",)).get_content()
        return re.search(r"https://\S+/remove/confirm\?token=\S+", text).group(0)


@pytest.fixture
def removal_outbox(tables, monkeypatch):
    """The mail sent, and the settings mail needs (set before the app's test client, which sets its own)."""
    box = Outbox()
    monkeypatch.setattr("chalicelib.mail.sender", lambda: box)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://sign.example.org")
    monkeypatch.setenv("MAIL_FROM", "Countersign <petitions@example.org>")
    config.reset()
    yield box
    config.reset()
