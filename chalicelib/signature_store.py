"""Storing a signature: one conditional write, one signature per person per petition."""
from __future__ import annotations

import logging
from datetime import datetime

from pynamodb.exceptions import PutError

from . import aws, canonical_email, capacity, clock, models
from .submission import SignatureInput

log = logging.getLogger(__name__)

WRITE_UNIT_BYTES = capacity.WRITE_UNIT_BYTES


def build(petition_id: str, sig: SignatureInput, now: datetime) -> models.Signature:
    key = canonical_email.signature_key(petition_id, sig.email, canonical_email.hash_secret())
    stamp = clock.stamp(now)
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
        status=models.SignatureStatus.CONFIRMED,
    )


def item_bytes(signature: models.Signature) -> int:
    """The item's size as DynamoDB bills it (attribute names plus values)."""
    return capacity.item_size(signature.serialize())


def fits_one_write_unit(signature: models.Signature) -> bool:
    return item_bytes(signature) <= WRITE_UNIT_BYTES


def store(signature: models.Signature) -> bool:
    """Write the signature unless this person already signed. True when new.

    A duplicate changes nothing: the condition fails and the stored item stays.
    """
    try:
        signature.save(condition=models.Signature.signature_key.does_not_exist())
    except PutError as exc:
        if aws.conditional_check_failed(exc):
            log.info("duplicate signature petition=%s sig=%s", signature.petition_id,
                     canonical_email.log_tag(signature.signature_key))
            return False
        raise
    log.info("signature stored petition=%s sig=%s", signature.petition_id,
             canonical_email.log_tag(signature.signature_key))
    return True
