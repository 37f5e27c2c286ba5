"""A mail sender for tests: chalicelib.mail's sender interface, keeping each message it is given."""
from __future__ import annotations

import re

from chalicelib import mail


class KeptMail:
    """Keeps what it is asked to send (and can be told to fail as an unreachable SMTP server does)."""

    def __init__(self, link_pattern: str = r"https?://\S+"):
        self.sent: list = []
        self.failing = False
        self.link_pattern = link_pattern

    def send(self, message):
        if self.failing:
            raise mail.SendFailed("SMTP 127.0.0.1:25: ConnectionRefusedError")
        self.sent.append(message)
        return str(len(self.sent))

    def link(self) -> str:
        """The link in the last message's plain text."""
        text = self.sent[-1].get_body(preferencelist=("plain",)).get_content()
        found = re.search(self.link_pattern, text)
        assert found is not None, f"no link like {self.link_pattern} in the last mail"
        return found.group(0)
