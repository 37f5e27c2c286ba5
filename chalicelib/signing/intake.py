"""The sign path from request body to stored signature, without HTTP details.

Order matters: the size limit before parsing, the petition before the fields
(a closed petition answers 409 whatever was sent), the honeypot before
validation (a bot learns nothing from our messages). A blocklisted signer
gets the answer everyone gets; only the stored status differs.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chalicelib import i18n
from chalicelib.aws import clients, clock
from chalicelib.aws.models import Petition
from chalicelib.fraud import blocklists, challenge, identity
from chalicelib.i18n import gettext as _
from chalicelib.identity import canonical_email
from chalicelib.petitions import catalog, sources
from chalicelib.signing import signature_store, submission
from chalicelib.verification import pending
from chalicelib.web import bodies

log = logging.getLogger(__name__)


class OutcomeKind(StrEnum):
    ACCEPTED = "accepted"  # stored, a duplicate, or a bot caught by the honeypot: all look the same
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    UNREADABLE = "unreadable"
    NOT_FOUND = "not_found"
    CLOSED = "closed"  # the petition no longer takes signatures
    INVALID = "invalid"  # fields the signer must correct
    UNAVAILABLE = "unavailable"  # our storage failed: not the signer's fault


HTTP_STATUS: dict[OutcomeKind, int] = {
    OutcomeKind.ACCEPTED: 202,
    OutcomeKind.UNREADABLE: 400,
    OutcomeKind.NOT_FOUND: 404,
    OutcomeKind.CLOSED: 409,
    OutcomeKind.TOO_LARGE: 413,
    OutcomeKind.UNSUPPORTED_TYPE: 415,
    OutcomeKind.INVALID: 422,
    OutcomeKind.UNAVAILABLE: 503,
}
_BODY_PROBLEMS = {status: kind for kind, status in HTTP_STATUS.items() if 400 <= status < 500}


@dataclass
class Outcome:
    kind: OutcomeKind
    media_type: str  # of the request body, as the client declared it
    petition: Petition | None = None
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    fields: dict = field(default_factory=dict)

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.kind]

    @property
    def confirmation_required(self) -> bool:
        """The signer must confirm by email before the signature counts (the same for every signer)."""
        return bool(self.petition is not None and self.petition.require_verification)


def receive(petition_id: str, raw: bytes | str, content_type: str | None,
            now: datetime | None = None, client: identity.Client | None = None) -> Outcome:
    media_type = bodies.media_type(content_type)
    try:
        return _receive(petition_id, raw, content_type, media_type, now, client)
    except (*clients.STORAGE_ERRORS, canonical_email.SecretUnavailable) as exc:
        log.error("storage unavailable petition=%s error=%s", petition_id, clients.error_code(exc))
        return Outcome(OutcomeKind.UNAVAILABLE, media_type,
                       message=_("We couldn't record signatures just now. Please try again in a minute."))


def _receive(petition_id: str, raw: bytes | str, content_type: str | None, media_type: str,
             now: datetime | None, client: identity.Client | None) -> Outcome:
    now = now or clock.utc_now()
    try:
        fields = bodies.read(raw, content_type)
    except bodies.BodyError as exc:
        return Outcome(_BODY_PROBLEMS[exc.status], media_type, message=exc.translated())

    petition = catalog.load(petition_id)
    if petition is None:
        return Outcome(OutcomeKind.NOT_FOUND, media_type, message=_("There is no petition with this id."))
    if not catalog.is_open(petition, now):
        return Outcome(OutcomeKind.CLOSED, media_type, petition,
                       message=_("This petition has closed and no longer accepts signatures."))
    if submission.honeypot_filled(fields):
        return Outcome(OutcomeKind.ACCEPTED, media_type, petition)

    fields = {**fields, "source": sources.source_code(fields.get("source"), petition.petition_id)}
    sig, errors = submission.validate(fields)
    if sig is None:
        return Outcome(OutcomeKind.INVALID, media_type, petition, errors=errors, fields=fields)
    if petition.challenge:
        # An HTTP call to the provider, not a DynamoDB request; only once the fields are right.
        refused = _challenge(challenge.token_of(fields), client, media_type, petition, fields)
        if refused is not None:
            return refused
    # Blocklists come from the container's copy (no request): a match is stored as fraudulent, answered as usual.
    fraudulent = blocklists.current().verdict(identity.email_domain(sig.email), client.address if client else None)
    # The language they read the form in is the language of their verification mail.
    signature = signature_store.build(petition.petition_id, sig, now, verify=bool(petition.require_verification),
                                      client=client, fraudulent=fraudulent, language=i18n.current(),
                                      registered_sources=petition.sources or ())
    if not signature_store.fits_one_write_unit(signature):
        return Outcome(OutcomeKind.INVALID, media_type, petition,
                       errors={"name": submission.message("name.too_big")}, fields=fields)
    # A duplicate answers exactly like a first signature: nobody can probe
    # whether an address has signed, or whether it is still unconfirmed.
    stored = signature_store.store(signature)
    if fraudulent:
        log.info("blocklisted signature stored as fraudulent petition=%s", petition.petition_id)
    if not stored and stored.existing is not None and not fraudulent:
        # Signing again while unconfirmed sends the link again (capped); never changes the answer.
        pending.request_resend(stored.existing, clock.epoch(now))
    return Outcome(OutcomeKind.ACCEPTED, media_type, petition)


def _challenge(token: str, client: identity.Client | None, media_type: str, petition: Petition,
               fields: dict) -> Outcome | None:
    """None when the signer passed the petition's challenge; else the answer (nothing is stored)."""
    verdict = challenge.verify(token, client.address if client else None)
    if verdict == challenge.Verdict.PASSED:
        return None
    if verdict == challenge.Verdict.UNAVAILABLE:
        return Outcome(OutcomeKind.UNAVAILABLE, media_type, petition,
                       message=_("We couldn't check that you are a person just now, so your signature was not "
                                 "recorded. Please try again in a minute."))
    if not token:
        message = _("Complete the check that you are a person, then sign again.")
    else:
        message = _("The check that you are a person did not succeed or has expired. Complete it again, then sign.")
    return Outcome(OutcomeKind.INVALID, media_type, petition, errors={challenge.FIELD: message}, fields=fields)
