"""Canonical email addresses and the keyed hash that dedupes signatures.

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
