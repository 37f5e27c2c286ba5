"""What a pending signature carries, and asking for its mail again when its signer signs again.

A new pending signature asks for mail number 1 (``mail_requested``); the
mailer claims each number once (``mail_sent``). Signing again while pending
asks for the next number, at most ``RESENDS_PER_DAY`` times in any 24 hours
(``resent_at`` keeps when). The sign path learns the stored item from its
failed conditional put (ReturnValuesOnConditionCheckFailure), so a resend is
one more request and a capped or confirmed repeat is none.
"""
from __future__ import annotations

import logging
from enum import StrEnum

from pynamodb.exceptions import PynamoDBException

from chalicelib.aws import clients, config
from chalicelib.aws.models import Signature, SignatureStatus
from chalicelib.identity import canonical_email

log = logging.getLogger(__name__)

RESENDS_PER_DAY = 3
RESEND_WINDOW_SECONDS = 24 * 3600


class Resend(StrEnum):
    REQUESTED = "requested"  # the mailer will send the link again
    CAPPED = "capped"  # enough links were sent in the last 24 hours
    NOT_PENDING = "not_pending"  # confirmed already (or otherwise not waiting): nothing to send
    RACED = "raced"  # another request changed the item first; it asked for the mail if one was due
    FAILED = "failed"  # storage failed; the signer may sign again later


def attributes(now: float) -> dict:
    """The verification attributes of a new pending signature signed at ``now`` (epoch seconds)."""
    return {
        "status": SignatureStatus.PENDING,
        "expires_at": int(now) + config.settings().pending_expiry_seconds,
        "mail_requested": 1,
        "mail_sent": 0,
    }


def recent_resends(signature: Signature, now: float) -> list[int]:
    return [int(t) for t in (signature.resent_at or []) if now - t < RESEND_WINDOW_SECONDS]


def resend_allowed(signature: Signature, now: float) -> bool:
    return signature.status == SignatureStatus.PENDING and len(recent_resends(signature, now)) < RESENDS_PER_DAY


def request_resend(existing: Signature, now: float) -> Resend:
    """Ask the mailer for the link again, if the signature is pending and under the cap.

    ``existing`` is the item as stored; the update is conditional on its
    ``mail_requested`` being unchanged, so two requests at once ask once.
    Never raises: the caller answers the same whatever happens here.
    """
    tag = canonical_email.log_tag(existing.signature_key)
    if existing.status != SignatureStatus.PENDING:
        return Resend.NOT_PENDING
    if not resend_allowed(existing, now):
        log.info("resend capped petition=%s sig=%s", existing.petition_id, tag)
        return Resend.CAPPED
    seen = int(existing.mail_requested or 0)
    try:
        Signature(signature_key=existing.signature_key).update(
            actions=[Signature.mail_requested.set(seen + 1),
                     Signature.resent_at.set(recent_resends(existing, now) + [int(now)])],
            condition=(Signature.status == SignatureStatus.PENDING) & (Signature.mail_requested == seen),
        )
    except PynamoDBException as exc:
        if clients.conditional_check_failed(exc):
            return Resend.RACED
        log.warning("resend failed petition=%s sig=%s error=%s", existing.petition_id, tag,
                    getattr(exc, "cause_response_code", None) or type(exc).__name__)
        return Resend.FAILED
    log.info("resend requested petition=%s sig=%s mail=%d", existing.petition_id, tag, seen + 1)
    return Resend.REQUESTED
