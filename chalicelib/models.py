"""PynamoDB models of the petitions and signatures tables.

Table names and the endpoint come from the environment, so the models are
bound lazily by ``bind()`` rather than at import (stages and tests differ).
"""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from . import config

CONFIRMED = "confirmed"
PENDING = "pending"
INVALIDATED = "invalidated"

OPEN = "open"
CLOSED = "closed"


class Petition(Model):
    class Meta:
        table_name = "countersign-petitions"

    petition_id = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    summary = UnicodeAttribute()
    goal = NumberAttribute()
    status = UnicodeAttribute(default=OPEN)
    closes_at = UTCDateTimeAttribute(null=True)
    thanks_url = UnicodeAttribute(null=True)
    require_verification = BooleanAttribute(default=False)


class Signature(Model):
    """One signer on one petition.

    The hash key is ``<petition_id>#<HMAC of the canonical email>``: unique per
    person per petition (the conditional write dedupes on it), spread evenly
    over partitions, and revealing no address.
    """

    class Meta:
        table_name = "countersign-signatures"

    signature_key = UnicodeAttribute(hash_key=True)
    petition_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    country = UnicodeAttribute()
    postcode = UnicodeAttribute(null=True)
    updates_opt_in = BooleanAttribute(default=False)
    consent_at = UnicodeAttribute()
    source = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    status = UnicodeAttribute(default=CONFIRMED)


_bound: config.Settings | None = None


def bind() -> None:
    """Point every model at the configured tables and engine (idempotent)."""
    global _bound
    s = config.settings()
    if _bound is s:
        return
    for model, table in ((Petition, s.petitions_table), (Signature, s.signatures_table)):
        model.Meta.table_name = table
        model.Meta.host = s.dynamodb_endpoint
        model.Meta.region = s.region
        model._connection = None  # PynamoDB caches the connection on the class
    _bound = s
