"""PynamoDB models of the petitions and signatures tables.

Table names and the endpoint come from the environment, so the models are
bound to them lazily, on their first request after the settings change,
rather than at import (stages and tests differ). Callers just use the models.
"""
from __future__ import annotations

from enum import StrEnum

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.aws import caches, clients, config


class SignatureStatus(StrEnum):
    CONFIRMED = "confirmed"  # the only status the totals count
    PENDING = "pending"
    INVALIDATED = "invalidated"  # by an operator (make invalidate); make revalidate restores the status before
    FRAUDULENT = "fraudulent"  # matched a blocklist on arrival; its sender got the normal answer


class PetitionStatus(StrEnum):
    DRAFT = "draft"  # not public: its pages and API answer 404 until it is opened
    OPEN = "open"
    CLOSED = "closed"


class _BoundModel(Model):
    """A model that points itself at the configured table and engine before each request."""

    @classmethod
    def _get_connection(cls):
        _bind()
        return super()._get_connection()


class Petition(_BoundModel):
    class Meta:
        table_name = "countersign-petitions"

    petition_id = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    summary = UnicodeAttribute()
    goal = NumberAttribute()
    status = UnicodeAttribute(default=PetitionStatus.OPEN)
    closes_at = UTCDateTimeAttribute(null=True)
    thanks_url = UnicodeAttribute(null=True)
    require_verification = BooleanAttribute(default=False)
    # The campaign page (chalicelib/campaign): what the sign page shows besides the form.
    asks: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    body = UnicodeAttribute(null=True)  # Markdown, rendered and sanitised on the way out
    image_url = UnicodeAttribute(null=True)
    image_alt = UnicodeAttribute(null=True)
    image_credit = UnicodeAttribute(null=True)
    organiser_name = UnicodeAttribute(null=True)
    organiser_url = UnicodeAttribute(null=True)
    featured_country = UnicodeAttribute(null=True)  # the country whose figure the sign page shows
    country_targets: MapAttribute[str, int] = MapAttribute(null=True)  # country code -> signatures wanted there
    # Retention (chalicelib/rights/retention.py): when it was closed, its own retention period
    # (days after closing; unset: RETENTION_DAYS), and when its signatures were anonymised.
    closed_at = UTCDateTimeAttribute(null=True)
    retention_days = NumberAttribute(null=True)
    anonymised_at = UTCDateTimeAttribute(null=True)
    # The language title, summary, body and asks are written in (absent: English), and their
    # translations: {"fr": {"title": ..., "summary": ..., "body": ..., "asks": [...]}, ...}.
    language = UnicodeAttribute(null=True)
    embed_origins: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    # The campaign codes of its partner links (?source=), counted apart for campaigners; any other code counts
    # as "other" (chalicelib.tally.totals.bucket_for). Admin only: never in a public answer.
    sources: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    translations: MapAttribute = MapAttribute(null=True)
    # Under attack: signers pass a Turnstile check first (chalicelib/fraud/challenge.py).
    challenge = BooleanAttribute(null=True)


class Signature(_BoundModel):
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
    # The source bucket the totals count it under, decided on arrival from the petition's registered
    # sources (a registered code or "other"; absent: no code), so every later change counts it alike.
    counted_source = UnicodeAttribute(null=True)
    lang = UnicodeAttribute(null=True)  # the page language they signed in (absent: English); their mail uses it
    created_at = UnicodeAttribute()
    status = UnicodeAttribute(default=SignatureStatus.CONFIRMED)
    # Only on petitions that require verification (chalicelib/verification):
    expires_at = NumberAttribute(null=True)  # the table's TTL attribute, while pending (epoch seconds)
    mail_requested = NumberAttribute(null=True)  # verification mails asked for: 1 on signing, +1 per resend
    mail_sent = NumberAttribute(null=True)  # the highest of those the mailer has claimed
    resent_at: ListAttribute[int] = ListAttribute(of=NumberAttribute, null=True)  # type: ignore[arg-type]  # when the link was re-sent in the last 24 hours
    confirmed_at = UnicodeAttribute(null=True)
    # Only when the box is ticked on a petition without verification (chalicelib/verification/updates.py):
    updates_mail_sent = NumberAttribute(null=True)  # 1 once the mailer has claimed the opt-in mail
    updates_confirmed_at = UnicodeAttribute(null=True)  # when the mailbox's owner pressed the link's button
    # Who sent it, privately (chalicelib/fraud/identity.py): the keyed hash of the
    # client's address and the user agent's coarse family. The email's domain is
    # the stored address's (identity.email_domain): a second copy could take a
    # quarter of the one write unit a signature must fit in.
    ip_hash = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    # While invalidated: the status make revalidate gives back (confirmed or pending).
    invalidated_from = UnicodeAttribute(null=True)


_bound: caches.Slot[config.Settings] = caches.Slot()  # the settings the models were last bound to


def _bind() -> None:
    """Point every model at the configured tables and engine (cheap when nothing changed)."""
    s = config.settings()
    if _bound.value is s:
        return
    bindings: tuple[tuple[type[_BoundModel], str], ...] = (
        (Petition, s.petitions_table), (Signature, s.signatures_table))
    for model, table in bindings:
        model.Meta.table_name = table
        model.Meta.host = s.dynamodb_endpoint
        model.Meta.region = s.region
        # Inside the API function's budget, like every boto3 client (clients.LIMITS).
        model.Meta.connect_timeout_seconds = clients.LIMITS.connect_seconds
        model.Meta.read_timeout_seconds = clients.LIMITS.read_seconds
        model.Meta.max_retry_attempts = clients.LIMITS.retries
        model._connection = None  # PynamoDB caches the connection on the class
    _bound.value = s


def reset() -> None:
    """Rebind on the next request (tests and tools change the environment in process)."""
    _bound.clear()
