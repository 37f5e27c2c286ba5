"""The verification tests' outbox: the stage's mail sender replaced by one that keeps each message."""
from __future__ import annotations

import pytest

from tests.support.mail import KeptMail


@pytest.fixture
def outbox(monkeypatch):
    from chalicelib import mail

    box = KeptMail()
    monkeypatch.setattr(mail, "sender", lambda: box)
    return box
