"""Removing one signer's signature: by their own mailed link, or by the operator; each leaves a record.

The signature item is found by its key, the keyed hash of the canonical
address (``canonical_email.signature_key``), never by scanning. Deleting it is
one DeleteItem; the stream's REMOVE record then makes the tally subtract one
from that signature's country (a confirmed one; a pending one never counted),
the same way every other change reaches the totals. Nothing here writes a
counter.

Each erasure writes a record to the audit log: the petition, the time, the
channel (the signer's link, or the operator and who ran it); no name,
address or key, so the campaign can show it complied without keeping what it
erased.

Self-service, in three steps (mail scanners follow links, so a link only
shows a page; its button's POST acts):

1. the signer gives their address on the petition's "Remove my signature"
   page; the answer is the same whatever the address. If a signature exists,
   one conditional write stamps when its link was sent (at most one link per
   ``LINK_INTERVAL_SECONDS``, so nobody can flood an inbox through the form),
   and the mail goes out through the project's mail sender, in the page's language;
2. the link (signed, expiring: ``ERASE_LINK_HOURS``, default 24) shows a page
   with one button;
3. its POST deletes the signature.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from chalicelib import i18n, mail
from chalicelib.audit import trail
from chalicelib.aws import clients, config
from chalicelib.aws.models import Petition
from chalicelib.i18n import gettext as _
from chalicelib.identity import canonical_email
from chalicelib.links import steps
from chalicelib.links.signed import LinkState, SignedLink
from chalicelib.links.steps import Step
from chalicelib.petitions import store
from chalicelib.verification import tokens

log = logging.getLogger(__name__)

SALT = "countersign.erase-signature"  # a confirmation link's token can never pass as an erasure one
LINK_INTERVAL_SECONDS = 600
ERASE_ACTION = "erase"


class Channel(StrEnum):
    SELF_SERVICE = "signer's emailed link"
    OPERATOR = "operator"


# ---- erasing ------------------------------------------------------------------------

def erase_key(signature_key: str, channel: Channel, actor: str, now: float | None = None) -> bool:
    """Delete the signature with this key, if there is one, and record it. True when one was deleted."""
    petition_id = signature_key.split("#", 1)[0]
    try:
        clients.dynamodb().delete_item(TableName=config.settings().signatures_table,
                                   Key={"signature_key": {"S": signature_key}},
                                   ConditionExpression="attribute_exists(signature_key)")
    except ClientError as exc:
        if clients.conditional_check_failed(exc):
            return False
        raise
    trail.record(actor, ERASE_ACTION, petition_id, None, {"channel": str(channel)}, now=now)
    log.info("signature erased petition=%s sig=%s channel=%s", petition_id, canonical_email.log_tag(signature_key),
             channel.name)
    return True


def erase(email: str, petition_id: str | None, actor: str) -> list[str]:
    """The operator's erasure: one petition, or every petition (drafts and closed ones too); the petitions erased from.

    Every petition's key for the address is computed and deleted directly:
    the petitions table is listed, the signatures table never scanned.
    """
    secret = canonical_email.hash_secret()
    ids = [petition_id] if petition_id else [p.petition_id for p in store.every()]
    return [pid for pid in ids
            if erase_key(canonical_email.signature_key(pid, email, secret), Channel.OPERATOR, actor)]


def records(limit: int = 100) -> list[trail.Entry]:
    """The latest erasure records."""
    return [entry for entry in trail.latest(limit) if entry.action == ERASE_ACTION]


# ---- the signed, expiring link ----------------------------------------------------------

LINK = SignedLink(SALT, max_age=lambda: config.settings().erase_link_seconds, secret=lambda: tokens.secret())


def make_token(signature_key: str) -> str:
    return LINK.make(signature_key)


def read_token(token: str, petition_id: str) -> tuple[LinkState, str | None]:
    """What an erasure link's token says: its state and, when valid, the signature's key.

    An expired token answers EXPIRED whatever it names; one for another petition is INVALID.
    """
    check = LINK.read(token)
    if check.state != LinkState.VALID:
        return check.state, None
    key = check.payload
    if not isinstance(key, str) or key.split("#", 1)[0] != petition_id:
        return LinkState.INVALID, None
    return LinkState.VALID, key


def link(petition_id: str, signature_key: str) -> str:
    base = config.settings().public_base_url
    if not base:
        raise mail.UnknownTransport("set PUBLIC_BASE_URL: links in mail are built from it")
    return f"{base}/petitions/{petition_id}/remove/confirm?token={make_token(signature_key)}"


# ---- step 1: the request -------------------------------------------------------------

@dataclass(frozen=True)
class Requested:
    """What happened behind the one answer everybody gets (for tests and logs only)."""

    mailed: bool
    reason: str


def _stamp_link(signature_key: str, now: float) -> bool:
    """One conditional write: the signature exists and had no link in the last interval. True: send one."""
    try:
        clients.dynamodb().update_item(
            TableName=config.settings().signatures_table, Key={"signature_key": {"S": signature_key}},
            UpdateExpression="SET erase_link_at = :now",
            ConditionExpression="attribute_exists(signature_key) AND "
                                "(attribute_not_exists(erase_link_at) OR erase_link_at < :before)",
            ExpressionAttributeValues={":now": {"N": str(int(now))},
                                       ":before": {"N": str(int(now) - LINK_INTERVAL_SECONDS)}})
    except ClientError as exc:
        if clients.conditional_check_failed(exc):
            return False
        raise
    return True


def request_link(petition: Petition, email: str, now: float | None = None) -> Requested:
    """Send an erasure link if this address signed this petition (and had none just now)."""
    moment = time.time() if now is None else now
    key = canonical_email.signature_key(petition.petition_id, email, canonical_email.hash_secret())
    tag = canonical_email.log_tag(key)
    if not _stamp_link(key, moment):
        log.info("erasure link not sent petition=%s sig=%s (no signature, or one sent just now)",
                 petition.petition_id, tag)
        return Requested(False, "none")
    s = config.settings()
    try:
        if not s.mail_from:
            raise mail.UnknownTransport("no sender address (MAIL_FROM) is configured for this stage")
        address = link(petition.petition_id, key)
        base = s.public_base_url or ""
        text, html = mail.render("erasure", title=petition.title, link=address,
                                 link_hours=round(s.erase_link_seconds / 3600), site=urlsplit(base).netloc or base,
                                 petition_url=f"{base}/petitions/{petition.petition_id}/sign")
        subject = " ".join(_("Remove your signature: %(title)s", title=petition.title).split())
        mail.sender().send(mail.compose(sender=s.mail_from, to=email, subject=subject, text=text, html=html,
                                        now=moment, language=i18n.current()))
    except (mail.SendFailed, mail.UnknownTransport) as exc:
        # The signer sees the same answer; the log says why no link arrived (never the address).
        log.error("erasure link not sent petition=%s sig=%s error=%s", petition.petition_id, tag, exc)
        return Requested(False, "mail")
    log.info("erasure link sent petition=%s sig=%s", petition.petition_id, tag)
    return Requested(True, "sent")


# ---- steps 2 and 3: the link's page and its button ----------------------------------------

def _stored(signature_key: str) -> bool:
    reply = clients.dynamodb().get_item(TableName=config.settings().signatures_table, ConsistentRead=True,
                                    Key={"signature_key": {"S": signature_key}}, ProjectionExpression="signature_key")
    return "Item" in reply


def inspect(petition_id: str, token: str) -> tuple[Step, str]:
    """GET: what the link's page shows (reads only). Returns the step and the token to carry into the form."""
    state, key = read_token(token, petition_id)
    if key is None:
        return steps.refused(state), ""
    return (Step.READY, token) if _stored(key) else (Step.GONE, "")


def confirm(petition_id: str, token: str, now: float | None = None) -> Step:
    """POST: delete the signature the link names."""
    state, key = read_token(token, petition_id)
    if key is None:
        return steps.refused(state)
    erased = erase_key(key, Channel.SELF_SERVICE, "signer (self-service)", now=now)
    return Step.ERASED if erased else Step.GONE

