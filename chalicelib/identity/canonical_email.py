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

from chalicelib.aws import config, parameters

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
# SIGNATURE_KEY_SECRET directly. A failed read is remembered for a few
# seconds (aws/parameters.py): while Parameter Store is down or slow, every
# request answers 503 at once instead of each waiting out the SSM client's
# timeouts again.


class MissingSecret(RuntimeError):
    pass


class SecretUnavailable(Exception):
    """Parameter Store did not give the secret just now: a 503, nobody's input is at fault."""

    def __init__(self, code: str):
        super().__init__(f"the signature key secret is unavailable ({code})")
        self.aws_error_code = code


def hash_secret() -> bytes:
    s = config.settings()
    if s.signature_key_secret:
        return s.signature_key_secret.encode("utf-8")
    if not s.signature_key_parameter:
        raise MissingSecret("set SIGNATURE_KEY_SECRET or SIGNATURE_KEY_PARAMETER")
    try:
        return parameters.get(s.signature_key_parameter, decrypt=True, transform=str.encode)
    except parameters.Unavailable as exc:
        raise SecretUnavailable(exc.aws_error_code) from exc
