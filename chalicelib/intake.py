"""The sign path from request body to stored signature, without HTTP details.

Order matters: the size limit before parsing, the petition before the fields
(a closed petition answers 409 whatever was sent), the honeypot before
validation (a bot learns nothing from our messages).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from . import petitions, signing, submission
from .models import Petition

ACCEPTED = "accepted"
BAD_BODY = "bad_body"
NOT_FOUND = "not_found"
CLOSED = "closed"
INVALID = "invalid"
UNAVAILABLE = "unavailable"

log = logging.getLogger(__name__)

NAME_TOO_BIG = "Your name is too long for us to store; please shorten it."


@dataclass
class Outcome:
    kind: str
    status: int
    petition: Petition | None = None
    message: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    fields: dict = field(default_factory=dict)


def receive(petition_id: str, raw: bytes, content_type: str | None,
            now: datetime | None = None) -> Outcome:
    try:
        return _receive(petition_id, raw, content_type, now)
    except (PynamoDBException, BotoCoreError, ClientError) as exc:
        # Our storage failing is not the signer's fault: 503, so they retry.
        log.error("storage unavailable petition=%s error=%s", petition_id, type(exc).__name__)
        return Outcome(UNAVAILABLE, 503, message="We couldn't record signatures just now. Please try again in a minute.")


def _receive(petition_id: str, raw: bytes, content_type: str | None,
             now: datetime | None) -> Outcome:
    now = now or datetime.now(timezone.utc)
    try:
        fields = submission.parse_body(raw, content_type)
    except submission.BodyError as exc:
        return Outcome(BAD_BODY, exc.status, message=exc.message)

    petition = petitions.load(petition_id)
    if petition is None:
        return Outcome(NOT_FOUND, 404, message="There is no petition with this id.")
    if not petitions.is_open(petition, now):
        return Outcome(CLOSED, 409, petition, message="This petition has closed and no longer accepts signatures.")
    if submission.honeypot_filled(fields):
        return Outcome(ACCEPTED, 202, petition)

    sig, errors = submission.validate(fields)
    if errors:
        return Outcome(INVALID, 422, petition, errors=errors, fields=fields)
    signature = signing.build(petition.petition_id, sig, now)
    if not signing.fits_one_write_unit(signature):
        return Outcome(INVALID, 422, petition, errors={"name": NAME_TOO_BIG}, fields=fields)
    # A duplicate answers exactly like a first signature: nobody can probe
    # whether an address has signed.
    signing.store(signature)
    return Outcome(ACCEPTED, 202, petition)
