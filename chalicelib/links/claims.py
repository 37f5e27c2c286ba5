"""Sending a link's mail once under at-least-once delivery: claim it on the signature, send, give it back on failure.

The stream delivers a record at least once, so before a mail goes out its
claim is written on the signature item with a conditional update; a
redelivered record finds the mail claimed and sends nothing. If the send
then fails, the claim is given back (another conditional update, so only the
claimant's own claim is undone) and the error raised, so the stream retries
the record and the retry sends. A mail lost after its claim (the function
dying between the two) is not retried: its signer asks again.

Each kind of mail says what its claim is (``MailClaim``): the verification
mail claims its number in ``mail_sent``, the updates opt-in sets
``updates_mail_sent``.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import mail
from chalicelib.aws import clients, config
from chalicelib.identity import canonical_email

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Update:
    """One conditional UpdateItem on a signature: what it sets and when it may."""

    expression: str
    condition: str
    values: Mapping[str, dict]
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MailClaim:
    """A mail's claim on the signature it is for: the update that takes it and the one that gives it back."""

    signature_key: str
    take: Update
    give_back: Update
    what: str  # names the mail in the log: "verification mail", "opt-in mail"


def _apply(key: str, update: Update) -> None:
    clients.dynamodb().update_item(
        TableName=config.settings().signatures_table, Key={"signature_key": {"S": key}},
        UpdateExpression=update.expression, ConditionExpression=update.condition,
        ExpressionAttributeValues=dict(update.values),
        **({"ExpressionAttributeNames": dict(update.names)} if update.names else {}))


def take(claim: MailClaim) -> bool:
    """Claim the mail; False when it was claimed before or is no longer due."""
    try:
        _apply(claim.signature_key, claim.take)
    except ClientError as exc:
        if clients.conditional_check_failed(exc):
            return False
        raise
    return True


def give_back(claim: MailClaim) -> None:
    """Give the claim back after a failed send, so the retried record sends again (best effort: never raises)."""
    try:
        _apply(claim.signature_key, claim.give_back)
    except (ClientError, BotoCoreError) as exc:
        log.warning("%s claim not released petition=%s sig=%s error=%s", claim.what,
                    claim.signature_key.split("#", 1)[0], canonical_email.log_tag(claim.signature_key),
                    type(exc).__name__)


def send_once(claim: MailClaim, message: EmailMessage, sender: mail.Sender) -> bool:
    """Send a built message if this delivery takes its claim. False: claimed before, nothing sent.

    Build the message before calling: a missing setting or secret then fails
    with nothing claimed. A failed send gives the claim back and raises
    ``mail.SendFailed``, for the stream to retry the record.
    """
    if not take(claim):
        return False
    try:
        sender.send(message)
    except mail.SendFailed:
        give_back(claim)
        raise
    return True
