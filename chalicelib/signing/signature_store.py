"""Storing a signature: one conditional write, one signature per person per petition."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from botocore.exceptions import ClientError

from chalicelib import i18n
from chalicelib.aws import capacity, clients, clock, config, models
from chalicelib.fraud import identity
from chalicelib.identity import canonical_email
from chalicelib.signing.submission import SignatureInput
from chalicelib.tally import totals
from chalicelib.verification import pending

log = logging.getLogger(__name__)

WRITE_UNIT_BYTES = capacity.WRITE_UNIT_BYTES


def build(petition_id: str, sig: SignatureInput, now: datetime, *, verify: bool = False,
          client: identity.Client | None = None, fraudulent: bool = False,
          language: str | None = None, registered_sources=()) -> models.Signature:
    """The signature item: confirmed, or pending (with its verification attributes) when ``verify``.

    ``fraudulent`` (a blocklist matched) stores it as such: never counted, never mailed.
    """
    key = canonical_email.signature_key(petition_id, sig.email, canonical_email.hash_secret())
    stamp = clock.stamp(now)
    signature = models.Signature(
        signature_key=key,
        petition_id=petition_id,
        name=sig.name,
        email=sig.email,
        country=sig.country,
        postcode=sig.postcode,
        updates_opt_in=sig.updates_opt_in,
        consent_at=stamp,
        source=sig.source,
        counted_source=totals.bucket_for(sig.source, registered_sources),
        lang=language if language and language != i18n.DEFAULT else None,
        created_at=stamp,
        status=models.SignatureStatus.FRAUDULENT if fraudulent else models.SignatureStatus.CONFIRMED,
        ip_hash=identity.stored_hash(client),
        user_agent=client.user_agent_family if client is not None else None,
    )
    if verify and not fraudulent:
        for name, value in pending.attributes(clock.epoch(now)).items():
            setattr(signature, name, value)
    return signature


def item_bytes(signature: models.Signature) -> int:
    """The item's size as DynamoDB bills it (attribute names plus values)."""
    return capacity.item_size(signature.serialize())


def largest_bytes(signature: models.Signature) -> int:
    """The most the item can grow to: a pending one gains resend times, mail counters and a confirmation stamp.

    A counted signature that ticked the updates box later gains the opt-in
    mail's claim and its confirmation stamp (about 50 bytes); those writes are
    off the sign path, so they are not counted here: at worst one of them
    costs two write units instead of one.
    """
    if signature.status != models.SignatureStatus.PENDING:
        return item_bytes(signature)
    grown = models.Signature.from_raw_data(signature.serialize())
    now = int(signature.expires_at or 0)
    grown.resent_at = [now] * pending.RESENDS_PER_DAY
    grown.mail_requested = grown.mail_sent = 999
    grown.confirmed_at = clock.stamp(now)
    grown.status = models.SignatureStatus.CONFIRMED
    return item_bytes(grown)


def fits_one_write_unit(signature: models.Signature) -> bool:
    return largest_bytes(signature) <= WRITE_UNIT_BYTES


@dataclass(frozen=True)
class Stored:
    """What the conditional write found: truthy when the signature is new."""

    new: bool
    existing: models.Signature | None = None  # the item already there, when not new

    def __bool__(self) -> bool:
        return self.new


def store(signature: models.Signature) -> Stored:
    """Write the signature unless this person already signed.

    A duplicate changes nothing: the condition fails and the stored item
    stays. DynamoDB hands back that item with the refusal, at no extra cost,
    so the caller can tell a pending signature from a confirmed one.
    """
    try:
        clients.dynamodb().put_item(
            TableName=config.settings().signatures_table,
            Item=signature.serialize(),
            ConditionExpression="attribute_not_exists(signature_key)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if clients.conditional_check_failed(exc):
            log.info("duplicate signature petition=%s sig=%s", signature.petition_id,
                     canonical_email.log_tag(signature.signature_key))
            old = exc.response.get("Item")
            return Stored(False, models.Signature.from_raw_data(old) if old else None)
        raise
    log.info("signature stored petition=%s sig=%s", signature.petition_id,
             canonical_email.log_tag(signature.signature_key))
    return Stored(True)
