"""Following a confirmation link: look (GET), confirm (POST), or ask for a fresh link (POST).

Mail scanners follow every link in a message, so looking never changes
anything: the page shows one button, and only its POST confirms. Confirming
is one conditional update, ``pending -> confirmed`` (and the TTL attribute
removed), so a second press finds it confirmed and says so. The stream
tally counts the signature from that MODIFY.

Every problem is the signer's to read, with its own 4xx status: a broken or
altered link (400), a link for another petition or a signature that is no
longer there (404), a closed petition (409), an expired link (410, with a
button for a fresh one), too many fresh links today (429). Only our own
storage failing is a 5xx (503).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from chalicelib.aws import clients, clock, config
from chalicelib.aws.models import Petition, Signature, SignatureStatus
from chalicelib.identity import canonical_email
from chalicelib.links import pages as link_pages
from chalicelib.links.steps import STATUS, Step
from chalicelib.petitions import catalog
from chalicelib.verification import pending, tokens
from chalicelib.verification.tokens import TokenState

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    step: Step
    petition: Petition | None = None
    token: str = ""  # to carry into the page's form (the button, or "send a fresh link")
    status_override: int | None = None  # a body problem's own status (413, 415)

    @property
    def status(self) -> int:
        return self.status_override or STATUS[self.step]


# ---- reading the request ---------------------------------------------------------

def token_from_body(raw: bytes | str, content_type: str | None) -> tuple[str | None, Outcome | None]:
    """The token a form or JSON body carries, or the outcome that says why there is none to read."""
    token, unreadable = link_pages.posted_token(raw, content_type)
    if unreadable is not None:
        return None, Outcome(Step.UNREADABLE, status_override=unreadable.status)
    return token, None


def _check(petition_id: str, token: str, now: float) -> tuple[tokens.TokenCheck, Petition | None, Outcome | None]:
    """The token and the petition; an outcome when either stops us here."""
    check = tokens.read(token or "", petition_id, now=now)
    if check.state == TokenState.TAMPERED:
        return check, None, Outcome(Step.BROKEN)
    if check.state == TokenState.WRONG_PETITION:
        return check, None, Outcome(Step.WRONG_PETITION)
    petition = catalog.load(petition_id)
    if petition is None:
        return check, None, Outcome(Step.NO_PETITION)
    if not catalog.is_open(petition):
        return check, petition, Outcome(Step.CLOSED, petition)
    return check, petition, None


def _stored(signature_key: str) -> Signature | None:
    item = clients.dynamodb().get_item(TableName=config.settings().signatures_table, ConsistentRead=True,
                                   Key={"signature_key": {"S": signature_key}}).get("Item")
    return Signature.from_raw_data(item) if item else None


def _state(signature: Signature | None, petition: Petition, now: float) -> Outcome | None:
    """What a stored signature says before anything is changed; None when it is pending and may be confirmed."""
    if signature is None or signature.status not in (SignatureStatus.PENDING, SignatureStatus.CONFIRMED):
        return Outcome(Step.GONE, petition)
    if signature.status == SignatureStatus.CONFIRMED:
        return Outcome(Step.ALREADY, petition)
    if signature.expires_at is not None and signature.expires_at <= now:
        return Outcome(Step.GONE, petition)  # past its expiry, waiting for TTL to delete it
    return None


def _guarded(petition_id: str, work) -> Outcome:
    return link_pages.attempt(work, Outcome(Step.UNAVAILABLE), tokens.FAILURES, "confirmation", petition_id)


# ---- the three actions ------------------------------------------------------------

def inspect(petition_id: str, token: str, now: float | None = None) -> Outcome:
    """GET: what the link's page shows. Reads, never writes."""
    moment = time.time() if now is None else now

    def work() -> Outcome:
        check, petition, stop = _check(petition_id, token, moment)
        if stop:
            return stop
        assert petition is not None and check.signature_key is not None
        if check.state == TokenState.EXPIRED:
            return Outcome(Step.EXPIRED, petition, token)
        return _state(_stored(check.signature_key), petition, moment) or Outcome(Step.READY, petition, token)

    return _guarded(petition_id, work)


def confirm(petition_id: str, token: str, now: float | None = None) -> Outcome:
    """POST: confirm the signature the link names, once."""
    moment = time.time() if now is None else now

    def work() -> Outcome:
        check, petition, stop = _check(petition_id, token, moment)
        if stop:
            return stop
        assert petition is not None and check.signature_key is not None
        if check.state == TokenState.EXPIRED:
            return Outcome(Step.EXPIRED, petition, token)
        tag = canonical_email.log_tag(check.signature_key)
        try:
            clients.dynamodb().update_item(
                TableName=config.settings().signatures_table,
                Key={"signature_key": {"S": check.signature_key}},
                UpdateExpression="SET #status = :confirmed, confirmed_at = :at REMOVE expires_at",
                ConditionExpression="#status = :pending AND (attribute_not_exists(expires_at) OR expires_at > :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":confirmed": {"S": SignatureStatus.CONFIRMED},
                                           ":pending": {"S": SignatureStatus.PENDING},
                                           ":at": {"S": clock.stamp(moment)}, ":now": {"N": str(int(moment))}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not clients.conditional_check_failed(exc):
                raise
            old = exc.response.get("Item")
            outcome = _state(Signature.from_raw_data(old) if old else None, petition, moment)
            log.info("not confirmed petition=%s sig=%s because=%s", petition_id, tag,
                     outcome.step if outcome else "unknown")
            return outcome or Outcome(Step.GONE, petition)
        log.info("signature confirmed petition=%s sig=%s", petition_id, tag)
        return Outcome(Step.CONFIRMED, petition)

    return _guarded(petition_id, work)


def resend(petition_id: str, token: str, now: float | None = None) -> Outcome:
    """POST from an expired link's page: send a fresh link (capped like a repeat signature)."""
    moment = time.time() if now is None else now

    def work() -> Outcome:
        check, petition, stop = _check(petition_id, token, moment)
        if stop:
            return stop
        assert petition is not None and check.signature_key is not None
        if check.issued_at is not None and moment - check.issued_at > config.settings().pending_expiry_seconds:
            return Outcome(Step.GONE, petition)  # older than any unconfirmed signature lives
        signature = _stored(check.signature_key)
        state = _state(signature, petition, moment)
        if state is not None:
            return state
        assert signature is not None
        answer = pending.request_resend(signature, moment)
        if answer == pending.Resend.CAPPED:
            return Outcome(Step.CAPPED, petition)
        if answer == pending.Resend.FAILED:
            return Outcome(Step.UNAVAILABLE, petition)
        if answer == pending.Resend.NOT_PENDING:
            return Outcome(Step.ALREADY, petition)
        return Outcome(Step.RESENT, petition)  # REQUESTED, or RACED: another request just asked for one

    return _guarded(petition_id, work)
