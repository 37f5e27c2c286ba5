"""One way to send a message, two implementations, chosen by configuration.

- ``SesSender``: Amazon SES's v2 ``SendEmail`` with the message as raw MIME
  (deployed stages). The configuration set, when set, routes bounces and
  complaints to the stage's SNS topic.
- ``SmtpSender``: plain SMTP to a server on this machine (``make run``'s local
  mail server, which writes every message to ``.local/mail/``). No TLS and no
  login: it is meant for a server on the loopback address.

Both send exactly the bytes ``compose`` built, so what a developer reads
locally is what a signer receives.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.policy import SMTP
from typing import Protocol

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.aws import clients, config

SMTP_TIMEOUT_SECONDS = 10


class SendFailed(RuntimeError):
    """The message was not handed over; trying again later may work."""


class Sender(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Hand the message over; return the transport's id for it."""
        ...


class SmtpSender:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    def send(self, message: EmailMessage) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as server:
                server.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendFailed(f"SMTP {self.host}:{self.port}: {type(exc).__name__}") from None
        return str(message["Message-ID"])


class SesSender:
    def __init__(self, configuration_set: str | None = None):
        self.configuration_set = configuration_set

    def send(self, message: EmailMessage) -> str:
        arguments: dict = {"Content": {"Raw": {"Data": message.as_bytes(policy=SMTP)}}}
        if self.configuration_set:
            arguments["ConfigurationSetName"] = self.configuration_set
        try:
            reply = clients.sesv2().send_email(**arguments)
        except ClientError as exc:
            # Only the error's code: SES's message may quote the address.
            raise SendFailed(f"SES {exc.response.get('Error', {}).get('Code', 'error')}") from None
        except BotoCoreError as exc:
            raise SendFailed(f"SES {type(exc).__name__}") from None
        return reply["MessageId"]


class UnknownTransport(ValueError):
    pass


def sender() -> Sender:
    """The sender the configuration names (MAIL_TRANSPORT: ses or smtp)."""
    s = config.settings()
    if s.mail_transport == "ses":
        return SesSender(s.mail_configuration_set)
    if s.mail_transport == "smtp":
        return SmtpSender(s.smtp_host, s.smtp_port)
    raise UnknownTransport(f"MAIL_TRANSPORT must be ses or smtp, not {s.mail_transport!r}")
