"""Accepting a signature: one conditional write, one signature per person."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from pynamodb.exceptions import PutError

from . import canonical_email, models, signing_secret
from .submission import SignatureInput

log = logging.getLogger(__name__)

# DynamoDB charges one write unit per started KB of item.
WRITE_UNIT_BYTES = 1024


def _timestamp(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(petition_id: str, sig: SignatureInput, now: datetime) -> models.Signature:
    models.bind()
    key = canonical_email.signature_key(petition_id, sig.email, signing_secret.signature_secret())
    stamp = _timestamp(now)
    return models.Signature(
        signature_key=key,
        petition_id=petition_id,
        name=sig.name,
        email=sig.email,
        country=sig.country,
        postcode=sig.postcode,
        updates_opt_in=sig.updates_opt_in,
        consent_at=stamp,
        source=sig.source,
        created_at=stamp,
        status=models.CONFIRMED,
    )


def item_bytes(signature: models.Signature) -> int:
    """The item's size as DynamoDB bills it (attribute names plus values)."""
    size = 0
    for attr_name, typed in signature.serialize().items():
        (kind, value), = typed.items()
        size += len(attr_name.encode("utf-8"))
        if kind == "S":
            size += len(value.encode("utf-8"))
        elif kind == "N":
            size += len(value.lstrip("-").replace(".", "")) // 2 + 1
        else:  # BOOL, NULL
            size += 1
    return size


def fits_one_write_unit(signature: models.Signature) -> bool:
    return item_bytes(signature) <= WRITE_UNIT_BYTES


def store(signature: models.Signature) -> bool:
    """Write the signature unless this person already signed. True when new.

    A duplicate changes nothing: the condition fails and the stored item stays.
    """
    try:
        signature.save(condition=models.Signature.signature_key.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            log.info("duplicate signature petition=%s sig=%s", signature.petition_id,
                     canonical_email.log_tag(signature.signature_key))
            return False
        raise
    log.info("signature stored petition=%s sig=%s", signature.petition_id,
             canonical_email.log_tag(signature.signature_key))
    return True
