"""Campaign updates on petitions without verification: the marketing double opt-in.

Ticking "send me campaign updates" is no proof that the address is the
signer's: anyone can type anyone's address. On a petition that requires
verification, confirming the signature by mail proves it. On one that does
not, the INSERT of a signature that ticked the box asks the verification
mailer (the second reader of the signatures stream; there is no third) for
one more mail: a signed, expiring link whose page has one button. Its POST
sets ``updates_confirmed_at`` on the signature, and only then does the
signer appear in the ``updates`` export (``rights.export.proven_consent``).

Nothing here touches the sign path: the signature is written in its one
request as before, and the stream carries the request for mail.

Exactly once under at-least-once delivery: before sending, the mailer claims
the mail on the item (``updates_mail_sent`` set, only if the item exists and
it is not set yet); a redelivered INSERT finds it claimed. A failed send
gives the claim back so the retried record sends. The claim and the
confirmation are MODIFY records that change neither status nor country, so
the tally counts nothing for them; they are not INSERTs, so the mailer asks
nothing for them either.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from chalicelib import i18n, mail
from chalicelib.aws import clients, clock, config
from chalicelib.aws.models import SignatureStatus
from chalicelib.i18n import gettext as _
from chalicelib.identity import canonical_email
from chalicelib.links import claims, steps
from chalicelib.links.signed import LinkState, SignedLink
from chalicelib.links.steps import Step
from chalicelib.petitions import catalog
from chalicelib.verification import message, tokens

log = logging.getLogger(__name__)

SALT = "countersign.confirm-updates"  # neither a confirmation nor an erasure token passes as this one
CLAIMED = 1  # the value of updates_mail_sent once the mail is claimed


# ---- which records ask for the mail (pure) -----------------------------------------------

@dataclass(frozen=True)
class UpdatesRequest:
    signature_key: str
    petition_id: str
    created_at: str  # names this item: a later signature under the same key is another one
    name: str
    email: str
    language: str = "en"


def _text(image: dict, attribute: str) -> str | None:
    typed = image.get(attribute)
    value = typed.get("S") if isinstance(typed, dict) else None
    return value if isinstance(value, str) else None


def wanted(record: dict) -> UpdatesRequest | None:
    """The opt-in mail a stream record asks for, or None.

    Only a new item (INSERT, no old image) that is a counted signature
    (confirmed: its petition does not verify) with the box ticked, no opt-in
    confirmed and no such mail claimed. A pending signature's mail is the
    verification mail, which already proves the address; a signature stored
    as fraudulent is never mailed; an anonymised one has no address.
    """
    if not isinstance(record, dict) or record.get("eventName") != "INSERT":
        return None
    images = record.get("dynamodb")
    if not isinstance(images, dict) or images.get("OldImage"):
        return None
    new = images.get("NewImage")
    if not isinstance(new, dict):
        return None
    opted = new.get("updates_opt_in")
    if not (isinstance(opted, dict) and opted.get("BOOL") is True):
        return None
    if _text(new, "status") != SignatureStatus.CONFIRMED or "updates_confirmed_at" in new \
            or "updates_mail_sent" in new or "confirmed_at" in new:
        return None
    key, petition_id, created = _text(new, "signature_key"), _text(new, "petition_id"), _text(new, "created_at")
    name, email = _text(new, "name"), _text(new, "email")
    if not (key and petition_id and created and name and email):
        return None
    return UpdatesRequest(key, petition_id, created, name, email, i18n.supported(_text(new, "lang")) or i18n.DEFAULT)


# ---- the signed, expiring link ------------------------------------------------------------

# The payload names the signature and its creation time: a later signature under the same key is another one.
LINK = SignedLink(SALT, max_age=lambda: config.settings().verify_link_seconds, secret=lambda: tokens.secret())


def make_token(signature_key: str, created_at: str) -> str:
    return LINK.make([signature_key, created_at])


def read_token(token: str, petition_id: str) -> tuple[LinkState, tuple[str, str] | None]:
    """What an opt-in link's token says: its state and, when valid, the signature's key and creation time.

    An expired token answers EXPIRED whatever it names; one for another petition is INVALID.
    """
    check = LINK.read(token)
    if check.state != LinkState.VALID:
        return check.state, None
    payload = check.payload
    if not (isinstance(payload, list) and len(payload) == 2 and all(isinstance(p, str) for p in payload)):
        return LinkState.INVALID, None
    key, created = payload
    if key.split("#", 1)[0] != petition_id:
        return LinkState.INVALID, None
    return LinkState.VALID, (key, created)


def link(petition_id: str, signature_key: str, created_at: str) -> str:
    return (f"{message.public_base_url()}/petitions/{petition_id}/updates/confirm"
            f"?token={make_token(signature_key, created_at)}")


# ---- the mail ---------------------------------------------------------------------------------

def updates_message(request: UpdatesRequest, title: str, now: float | None = None):
    """The opt-in mail, in the current language."""
    s = config.settings()
    if not s.mail_from:
        raise message.NotConfigured("set MAIL_FROM: the address opt-in mail comes from")
    base = message.public_base_url()
    text, html = mail.render("updates", name=request.name, title=title,
                             link=link(request.petition_id, request.signature_key, request.created_at),
                             link_days=round(s.verify_link_seconds / 86400), site=urlsplit(base).netloc or base,
                             petition_url=f"{base}/petitions/{request.petition_id}/sign")
    subject = " ".join(_("Do you want news of the campaign? %(title)s", title=title).split())
    return mail.compose(sender=s.mail_from, to=request.email, subject=subject, text=text, html=html, now=now,
                        language=i18n.current())


def mail_claim(request: UpdatesRequest) -> claims.MailClaim:
    """The opt-in mail's claim: ``updates_mail_sent`` set on this very item (its creation time), once."""
    values = {":one": {"N": str(CLAIMED)}, ":created": {"S": request.created_at}}
    return claims.MailClaim(
        request.signature_key,
        take=claims.Update("SET updates_mail_sent = :one",
                           "created_at = :created AND attribute_not_exists(updates_mail_sent)", values),
        give_back=claims.Update("REMOVE updates_mail_sent", "created_at = :created AND updates_mail_sent = :one",
                                values),
        what="opt-in mail")


def send_one(request: UpdatesRequest, sender: mail.Sender, now: float) -> str:
    """Build, claim and send the opt-in mail. Returns what happened, for the batch's log line."""
    tag = canonical_email.log_tag(request.signature_key)
    petition = catalog.load(request.petition_id)
    if petition is None or petition.require_verification:
        log.info("no opt-in mail: petition missing or verifying petition=%s sig=%s", request.petition_id, tag)
        return "skipped"
    with i18n.using(request.language):  # built before the claim: a missing setting claims nothing
        built = updates_message(request, catalog.content(petition)["title"], now)
    if not claims.send_once(mail_claim(request), built, sender):
        log.info("opt-in mail already claimed petition=%s sig=%s", request.petition_id, tag)
        return "claimed"
    log.info("opt-in mail sent petition=%s sig=%s", request.petition_id, tag)
    return "sent"


# ---- the link's page and its button ------------------------------------------------------------

def _state(item: dict | None, created: str) -> Step | None:
    """What the stored item says before anything changes; None when the opt-in may be confirmed."""
    if not item or (item.get("created_at") or {}).get("S") != created \
            or not (item.get("updates_opt_in") or {}).get("BOOL"):
        return Step.GONE
    if "updates_confirmed_at" in item:
        return Step.ALREADY
    return None


def inspect(petition_id: str, token: str) -> Step:
    """GET: what the link's page shows (reads only)."""
    state, named = read_token(token, petition_id)
    if named is None:
        return steps.refused(state)
    key, created = named
    item = clients.dynamodb().get_item(TableName=config.settings().signatures_table, ConsistentRead=True,
                                   Key={"signature_key": {"S": key}},
                                   ProjectionExpression="created_at, updates_opt_in, updates_confirmed_at").get("Item")
    return _state(item, created) or Step.READY


def confirm(petition_id: str, token: str, now: float | None = None) -> Step:
    """POST: record that the mailbox's owner wants updates, with one conditional update (idempotent)."""
    state, named = read_token(token, petition_id)
    if named is None:
        return steps.refused(state)
    key, created = named
    try:
        clients.dynamodb().update_item(
            TableName=config.settings().signatures_table, Key={"signature_key": {"S": key}},
            UpdateExpression="SET updates_confirmed_at = :at",
            ConditionExpression="created_at = :created AND updates_opt_in = :yes "
                                "AND attribute_not_exists(updates_confirmed_at)",
            ExpressionAttributeValues={":at": {"S": clock.stamp(time.time() if now is None else now)},
                                       ":created": {"S": created}, ":yes": {"BOOL": True}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except ClientError as exc:
        if not clients.conditional_check_failed(exc):
            raise
        return _state(exc.response.get("Item"), created) or Step.GONE
    log.info("updates opt-in confirmed petition=%s sig=%s", petition_id, canonical_email.log_tag(key))
    return Step.CONFIRMED
