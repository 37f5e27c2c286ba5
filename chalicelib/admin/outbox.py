"""Where the admin area's mail goes: the project's one mail sender (SES deployed, SMTP locally).

Sign-in code calls ``send(to, subject, text, html)`` and nothing else. A
stage without a sender address configured (``MAIL_FROM``), or whose sender
refuses the message, raises ``MailUnavailable``; the sign-in form still
answers as always, and the log says why no link arrived.
"""
from __future__ import annotations

from chalicelib import mail
from chalicelib.aws import config


class MailUnavailable(RuntimeError):
    aws_error_code = "NoMailSender"


def send(to: str, subject: str, text: str, html: str) -> None:
    sender = config.settings().mail_from
    if not sender:
        raise MailUnavailable("no sender address (MAIL_FROM) is configured for this stage")
    message = mail.compose(sender=sender, to=to, subject=subject, text=text, html=html)
    try:
        mail.sender().send(message)
    except (mail.SendFailed, mail.UnknownTransport) as exc:
        raise MailUnavailable(str(exc)) from None
