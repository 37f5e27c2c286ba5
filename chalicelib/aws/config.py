"""Settings read from the environment, once per container.

Chalice injects a stage's environment variables per invocation, so nothing
here is read at import time: call ``settings()`` when a request needs it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from chalicelib.aws import caches

DAY = 24 * 3600

# The signatures stream that the tally and the mailer read, named when their decorators run (at import).
# Deployed, infra/resources.json's event source mappings name the table's real StreamArn over it.
SIGNATURES_STREAM_ARN = os.environ.get(
    "SIGNATURES_STREAM_ARN",
    "arn:aws:dynamodb:us-east-1:000000000000:table/countersign-signatures/stream/set-by-merge-template")


@dataclass(frozen=True)
class Settings:
    signatures_table: str
    petitions_table: str
    totals_table: str
    region: str
    dynamodb_endpoint: str | None
    allowed_origins: frozenset[str]
    petition_cache_seconds: float
    totals_cache_seconds: float  # a petition's totals are read at most once per this period per container
    signature_key_secret: str | None = field(repr=False)  # never in a log line or a traceback's locals
    signature_key_parameter: str | None
    # The stage's public address (``https://petitions.example.org`` or the API's
    # ``https://…/api``): every absolute URL (share links, links in mail) is built
    # from it, never from the request's Host or X-Forwarded-* headers.
    public_base_url: str | None
    # The Strict-Transport-Security header's value; only the deployment template
    # sets it (a page served over plain http, as locally, must not send one).
    strict_transport_security: str | None = None
    # The secret the CloudFront distribution in front adds to every request it
    # forwards (X-Origin-Verify); set, requests without it are refused.
    origin_secret: str | None = None
    # Where the sign page's script posts signatures when that is not the page's
    # own site: the API's own address, so a signature skips the CDN (one request
    # fewer to pay for). Used only with PUBLIC_BASE_URL, the site it answers.
    sign_base_url: str | None = None
    # Verified signatures: the secret that signs confirmation links (set directly
    # locally and in tests, or named as an SSM SecureString when deployed), how
    # long a link works, and how long an unconfirmed signature is kept.
    verify_token_secret: str | None = None
    verify_token_parameter: str | None = None
    verify_link_seconds: int = 7 * DAY
    pending_expiry_seconds: int = 30 * DAY
    # Mail: "ses" when deployed, "smtp" for the local mail server; the From
    # address; the SMTP server's address; the SES configuration set that routes
    # bounces and complaints.
    mail_transport: str = "ses"
    mail_from: str | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_configuration_set: str | None = None
    # The admin area (chalicelib/admin): its tables, who may sign in (a comma-separated
    # list locally, an SSM StringList parameter when deployed).
    admin_table: str = "countersign-admin"
    audit_table: str = "countersign-audit"
    admin_allowlist: frozenset[str] = frozenset()
    admin_allowlist_parameter: str | None = None
    # Data rights (chalicelib/rights): the private bucket deployed exports go to;
    # how many days after a petition closes its signatures are anonymised, unless
    # the petition sets its own; how long an erasure link works.
    export_bucket: str | None = None
    # The admin area's export buttons: deployed, the export function they start
    # (its file lands in the bucket above); under `make run`, a directory they
    # write the file to instead (there is no S3 locally).
    export_function: str | None = None
    export_dir: str | None = None
    retention_days: int = 90
    erase_link_seconds: int = DAY
    # Fraud controls (chalicelib/fraud): the blocklists, from a JSON file locally
    # or an SSM parameter deployed, re-read at most once per BLOCKLIST_CACHE_SECONDS
    # per container (no DynamoDB request on the sign path); whether a request may
    # name its client with X-Forwarded-For (only the local dev stack sets it); and
    # the trending detector's thresholds, per batch and per rolling window.
    blocklist_file: str | None = None
    blocklist_parameter: str | None = None
    blocklist_cache_seconds: float = 60.0
    trust_forwarded_for: bool = False
    trending_batch: dict[str, int] = field(default_factory=dict)
    trending_window: dict[str, int] = field(default_factory=dict)
    trending_window_seconds: float = 300.0
    # The optional challenge (chalicelib/fraud/challenge.py, Cloudflare Turnstile) on
    # petitions that turn it on: the widget's public site key, the secret the server
    # checks tokens with (set directly locally and in tests, or named as an SSM
    # SecureString when deployed), and the siteverify address (a local stub under
    # `make run` and in tests).
    challenge_site_key: str | None = None
    challenge_secret: str | None = field(default=None, repr=False)
    challenge_secret_parameter: str | None = None
    challenge_verify_url: str = "https://challenges.cloudflare.com/turnstile/v0/siteverify"

    @property
    def public_origin(self) -> str | None:
        """``scheme://host[:port]`` of PUBLIC_BASE_URL: the site's own pages, which may always post signatures."""
        if not self.public_base_url or "://" not in self.public_base_url:
            return None
        scheme, rest = self.public_base_url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}"


# Trending thresholds per key kind (signatures with one IP hash, email domain or
# country on one petition): within one stream batch, and within the rolling window.
TRENDING_KINDS = ("ip", "domain", "country")
TRENDING_BATCH_DEFAULTS = {"ip": 50, "domain": 500, "country": 5000}
TRENDING_WINDOW_DEFAULTS = {"ip": 200, "domain": 2000, "country": 50000}


def _thresholds(env, prefix: str, defaults: dict[str, int]) -> dict[str, int]:
    """``TRENDING_BATCH_IP=50`` and the like; 0 turns a kind off."""
    return {kind: int(env.get(f"{prefix}_{kind.upper()}") or defaults[kind]) for kind in TRENDING_KINDS}


def _origins(raw: str) -> frozenset[str]:
    return frozenset(o.strip().rstrip("/") for o in raw.split(",") if o.strip())


@caches.cached
def settings() -> Settings:
    env = os.environ
    return Settings(
        signatures_table=env.get("SIGNATURES_TABLE", "countersign-signatures"),
        petitions_table=env.get("PETITIONS_TABLE", "countersign-petitions"),
        totals_table=env.get("TOTALS_TABLE", "countersign-totals"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
        allowed_origins=_origins(env.get("ALLOWED_ORIGINS", "")),
        petition_cache_seconds=float(env.get("PETITION_CACHE_SECONDS", "10")),
        totals_cache_seconds=float(env.get("TOTALS_CACHE_SECONDS", "0.25")),
        signature_key_secret=env.get("SIGNATURE_KEY_SECRET") or None,
        signature_key_parameter=env.get("SIGNATURE_KEY_PARAMETER") or None,
        public_base_url=(env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        strict_transport_security=env.get("STRICT_TRANSPORT_SECURITY") or None,
        origin_secret=env.get("ORIGIN_SECRET") or None,
        sign_base_url=(env.get("SIGN_BASE_URL") or "").rstrip("/") or None,
        verify_token_secret=env.get("VERIFY_TOKEN_SECRET") or None,
        verify_token_parameter=env.get("VERIFY_TOKEN_PARAMETER") or None,
        verify_link_seconds=round(float(env.get("VERIFY_LINK_DAYS") or 7) * DAY),
        pending_expiry_seconds=round(float(env.get("PENDING_EXPIRY_DAYS") or 30) * DAY),
        mail_transport=(env.get("MAIL_TRANSPORT") or "ses").strip().lower(),
        mail_from=env.get("MAIL_FROM") or None,
        smtp_host=env.get("SMTP_HOST") or "127.0.0.1",
        smtp_port=int(env.get("SMTP_PORT") or 25),
        mail_configuration_set=env.get("MAIL_CONFIGURATION_SET") or None,
        admin_table=env.get("ADMIN_TABLE", "countersign-admin"),
        audit_table=env.get("AUDIT_TABLE", "countersign-audit"),
        admin_allowlist=frozenset(a.strip().lower() for a in env.get("ADMIN_ALLOWLIST", "").split(",") if a.strip()),
        admin_allowlist_parameter=env.get("ADMIN_ALLOWLIST_PARAMETER") or None,
        export_bucket=env.get("EXPORT_BUCKET") or None,
        export_function=env.get("EXPORT_FUNCTION") or None,
        export_dir=env.get("EXPORT_DIR") or None,
        retention_days=int(env.get("RETENTION_DAYS") or 90),
        erase_link_seconds=round(float(env.get("ERASE_LINK_HOURS") or 24) * 3600),
        blocklist_file=env.get("BLOCKLIST_FILE") or None,
        blocklist_parameter=env.get("BLOCKLIST_PARAMETER") or None,
        blocklist_cache_seconds=float(env.get("BLOCKLIST_CACHE_SECONDS") or 60),
        trust_forwarded_for=(env.get("TRUST_FORWARDED_FOR") or "").strip().lower() in ("1", "true", "yes"),
        trending_batch=_thresholds(env, "TRENDING_BATCH", TRENDING_BATCH_DEFAULTS),
        trending_window=_thresholds(env, "TRENDING_WINDOW", TRENDING_WINDOW_DEFAULTS),
        trending_window_seconds=float(env.get("TRENDING_WINDOW_SECONDS") or 300),
        challenge_site_key=env.get("CHALLENGE_SITE_KEY") or None,
        challenge_secret=env.get("CHALLENGE_SECRET") or None,
        challenge_secret_parameter=env.get("CHALLENGE_SECRET_PARAMETER") or None,
        challenge_verify_url=env.get("CHALLENGE_VERIFY_URL") or "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    )


def reset() -> None:
    """Forget cached settings (tests and the local runner change the environment)."""
    settings.cache_clear()
