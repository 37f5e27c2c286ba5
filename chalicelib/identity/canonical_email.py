"""Canonical email addresses, the keyed hash that dedupes signatures, and its secret.

Two addresses that reach the same inbox must give the same key, so one
person signs a petition once:
- compared case-insensitively;
- a ``+tag`` in the local part is dropped, for every domain;
- Gmail ignores dots in the local part, and gmail.com and googlemail.com are
  one mailbox.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.aws import clients, config

log = logging.getLogger(__name__)

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def canonical_email(address: str) -> str:
    """The canonical form of an address that has already passed syntax checks."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def email_hash(address: str, secret: bytes) -> str:
    """HMAC-SHA256 of the canonical address, hex: the key reveals no address."""
    return hmac.new(secret, canonical_email(address).encode("utf-8"), hashlib.sha256).hexdigest()


def signature_key(petition_id: str, address: str, secret: bytes) -> str:
    return f"{petition_id}#{email_hash(address, secret)}"


def log_tag(key: str) -> str:
    """A short, non-reversible tag of a signature key, safe to log."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


# ---- the secret that keys the hash ------------------------------------------
# Deployed stages read it once per container from SSM Parameter Store
# (SecureString, named by SIGNATURE_KEY_PARAMETER: the key of a signature
# item, not a cryptographic signature); local runs and tests set
# SIGNATURE_KEY_SECRET directly.

# A failed read is remembered this long: while Parameter Store is down or
# slow, every request answers 503 at once instead of each waiting out the
# SSM client's timeouts again.
FAILURE_SECONDS = 5.0


class MissingSecret(RuntimeError):
    pass


class SecretUnavailable(Exception):
    """Parameter Store did not give the secret just now: a 503, nobody's input is at fault."""

    def __init__(self, code: str):
        super().__init__(f"the signature key secret is unavailable ({code})")
        self.aws_error_code = code


_secret: bytes | None = None
_failure: tuple[float, str] | None = None  # (monotonic time to ask again, AWS's error code)


def hash_secret() -> bytes:
    global _secret, _failure
    if _secret is not None:
        return _secret
    s = config.settings()
    if s.signature_key_secret:
        _secret = s.signature_key_secret.encode("utf-8")
        return _secret
    if not s.signature_key_parameter:
        raise MissingSecret("set SIGNATURE_KEY_SECRET or SIGNATURE_KEY_PARAMETER")
    if _failure is not None and time.monotonic() < _failure[0]:
        raise SecretUnavailable(_failure[1])
    try:
        reply = clients.ssm().get_parameter(Name=s.signature_key_parameter, WithDecryption=True)
    except (BotoCoreError, ClientError) as exc:
        code = clients.error_code(exc)
        _failure = (time.monotonic() + FAILURE_SECONDS, code)
        log.error("signature key parameter unreadable error=%s asking again in %.0f s", code, FAILURE_SECONDS)
        raise SecretUnavailable(code) from exc
    _failure = None
    _secret = reply["Parameter"]["Value"].encode("utf-8")
    return _secret


def reset() -> None:
    """Forget the cached secret, and any remembered failure."""
    global _secret, _failure
    _secret = _failure = None
