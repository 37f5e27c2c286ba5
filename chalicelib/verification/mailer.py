"""The verification mailer: the second consumer of the signatures stream.

A record asks for mail when its new image is a pending signature whose
``mail_requested`` is above its ``mail_sent``: the INSERT of a new pending
signature asks for mail 1, each resend for the next number. The stream
delivers records at least once, so before sending, the mailer claims that
number on the signature with a conditional write (``mail_sent`` raised to it,
only if still below it and the signature still pending: chalicelib/links/claims.py).
A redelivered record finds its number claimed and sends nothing. If the send
then fails, the claim is given back and the record reported failed, so Lambda
retries it; a mail lost after its claim (the function dying between the two)
is recovered by the signer signing again, which asks for the next number.

The same reader sends the campaign-updates opt-in mail that an INSERT of a
counted signature with the box ticked asks for (``updates.py``), claimed the
same way: a shard serves two readers, the tally and this one.

The claim is itself a MODIFY on the stream. The tally counts nothing for it
(a signature counts by status, petition and country, which the claim does not
change), and the mailer sees ``mail_sent == mail_requested`` in it: nothing
to send.

Records are handled one at a time, in order; at the first failure the batch
stops and that record is reported, since Lambda redelivers everything after
it anyway (and a failing mail server would fail the rest too).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib import i18n, mail
from chalicelib.aws.models import SignatureStatus
from chalicelib.identity import canonical_email
from chalicelib.links import claims
from chalicelib.petitions import catalog
from chalicelib.verification import message, tokens, updates

log = logging.getLogger(__name__)


class UnreadableRecord(ValueError):
    """A stream record whose new image the mailer cannot read."""


@dataclass(frozen=True)
class MailRequest:
    signature_key: str
    petition_id: str
    number: int  # the mail_requested this record asks for
    name: str
    email: str
    updates: bool
    language: str = "en"  # the page's language when they signed: the mail is written in it


def _value(image: dict, attribute: str, kind: str):
    typed = image.get(attribute)
    if typed is None:
        return None
    if not isinstance(typed, dict) or kind not in typed:
        raise UnreadableRecord(f"attribute {attribute} is not of type {kind}")
    return typed[kind]


def _number(image: dict, attribute: str) -> int:
    raw = _value(image, attribute, "N")
    try:
        return int(raw) if raw is not None else 0
    except ValueError:
        raise UnreadableRecord(f"attribute {attribute} is not a whole number") from None


def wanted(record: dict) -> MailRequest | None:
    """The mail a stream record asks for, or None (pure)."""
    images = record.get("dynamodb") if isinstance(record, dict) else None
    if not isinstance(images, dict):
        raise UnreadableRecord("record has no dynamodb part")
    new = images.get("NewImage")
    if new is None:
        return None  # a removal: nothing to send
    if not isinstance(new, dict):
        raise UnreadableRecord("new image is not a map")
    if _value(new, "status", "S") != SignatureStatus.PENDING:
        return None
    requested, sent = _number(new, "mail_requested"), _number(new, "mail_sent")
    if requested <= sent:
        return None
    key, petition_id = _value(new, "signature_key", "S"), _value(new, "petition_id", "S")
    name, email = _value(new, "name", "S"), _value(new, "email", "S")
    if not (key and petition_id and name and email):
        raise UnreadableRecord("pending signature without key, petition, name or address")
    return MailRequest(key, petition_id, requested, name, email, bool(_value(new, "updates_opt_in", "BOOL")),
                       i18n.supported(_value(new, "lang", "S")) or i18n.DEFAULT)


def mail_claim(request: MailRequest) -> claims.MailClaim:
    """This mail's number, claimed in ``mail_sent`` while the signature is pending; given back, the number before."""
    due: dict[str, dict] = {":pending": {"S": SignatureStatus.PENDING}, ":n": {"N": str(request.number)}}
    names = {"#status": "status"}
    return claims.MailClaim(
        request.signature_key,
        take=claims.Update("SET mail_sent = :set_to", "#status = :pending AND mail_sent < :n",
                           {":set_to": {"N": str(request.number)}, **due}, names),
        give_back=claims.Update("SET mail_sent = :set_to", "mail_sent = :n AND #status = :pending",
                                {":set_to": {"N": str(request.number - 1)}, **due}, names),
        what="verification mail")


# The failures that a later retry may get past: the mail server or SES, DynamoDB, the secret, the settings.
RETRYABLE = (mail.SendFailed, ClientError, BotoCoreError, PynamoDBException, message.NotConfigured,
             tokens.MissingSecret, mail.UnknownTransport)


def send_one(request: MailRequest, sender: mail.Sender, now: float) -> str:
    """Build, claim and send one mail. Returns what happened, for the batch's log line."""
    tag = canonical_email.log_tag(request.signature_key)
    petition = catalog.load(request.petition_id)
    if petition is None or not catalog.is_open(petition):
        log.info("no mail: petition missing or closed petition=%s sig=%s", request.petition_id, tag)
        return "skipped"
    # Built before the claim: a missing setting or secret fails here, with nothing claimed.
    with i18n.using(request.language):
        built = message.verification_message(
            petition_id=request.petition_id, title=catalog.content(petition)["title"],
            signature_key=request.signature_key,
            name=request.name, email=request.email, updates=request.updates, now=now)
    if not claims.send_once(mail_claim(request), built, sender):
        log.info("mail already claimed petition=%s sig=%s mail=%d", request.petition_id, tag, request.number)
        return "claimed"
    log.info("verification mail sent petition=%s sig=%s mail=%d", request.petition_id, tag, request.number)
    return "sent"


def handle(event: dict, sender: mail.Sender | None = None) -> dict:
    """Send the mail a batch of signatures-stream records asks for; report the record to retry from."""
    started = time.monotonic()
    records = event.get("Records") or []
    done = {"sent": 0, "claimed": 0, "skipped": 0}
    failure = None
    for record in records:
        sequence = (record.get("dynamodb") or {}).get("SequenceNumber") if isinstance(record, dict) else None
        try:
            request = wanted(record) or updates.wanted(record)
            if request is None:
                continue
            sender = sender or mail.sender()
            if isinstance(request, MailRequest):
                done[send_one(request, sender, time.time())] += 1
            else:  # a signature on a petition without verification asked for campaign updates
                done[updates.send_one(request, sender, time.time())] += 1
        except (UnreadableRecord, *RETRYABLE) as exc:
            log.warning("mail failed event=%s error=%s", record.get("eventID") if isinstance(record, dict) else None,
                        exc if isinstance(exc, mail.SendFailed | UnreadableRecord) else type(exc).__name__)
            if not (isinstance(sequence, str) and sequence.isdigit()):
                raise  # without a sequence number Lambda cannot be told where to resume
            failure = sequence
            break
    log.info("mail batch records=%d sent=%d already=%d skipped=%d failed=%d ms=%d", len(records), done["sent"],
             done["claimed"], done["skipped"], failure is not None, (time.monotonic() - started) * 1000)
    return {"batchItemFailures": [{"itemIdentifier": failure}] if failure is not None else []}
