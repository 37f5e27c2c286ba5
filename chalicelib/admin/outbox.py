"""Where the admin area's mail goes: the one place that knows which sender this stage has.

Sign-in code calls ``send(to, subject, text, html)`` and nothing else. Here
that writes each message, as RFC 5322, into ``MAIL_DROP_DIR`` (what the
local stack and the tests read; the local mail page lists the same folder).
A stage without a sender configured raises ``MailUnavailable``; the sign-in
form still answers as always, and the log says why no link arrived.
"""
from __future__ import annotations

import os
import time
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from .. import clock, config

FROM = "Countersign <no-reply@countersign.localhost>"


class MailUnavailable(RuntimeError):
    aws_error_code = "NoMailSender"


def send(to: str, subject: str, text: str, html: str) -> None:
    folder = config.settings().mail_drop_dir
    if not folder:
        raise MailUnavailable("no mail sender is configured for this stage")
    message = EmailMessage()
    message["From"] = FROM
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.utc_now())
    message["Message-ID"] = make_msgid(domain="countersign.localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    drop(Path(folder), message.as_bytes())


def drop(folder: Path, content: bytes) -> Path:
    """One message per file, named to sort by arrival, written whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
    temporary = folder / f".{name}.tmp"
    temporary.write_bytes(content)
    os.replace(temporary, folder / f"{name}.eml")
    return folder / f"{name}.eml"
