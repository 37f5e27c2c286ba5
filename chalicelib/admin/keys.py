"""Everything the admin area signs or keys, from one secret with a separate salt per use.

The secret is the stage's signature key secret (SSM when deployed, read once
per container by canonical_email); itsdangerous derives a distinct key per
salt, so a sign-in link, a session cookie and a CSRF token can never stand in
for one another, and none of them for a signature key.
"""
from __future__ import annotations

import hashlib
import hmac

from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from chalicelib.identity import canonical_email

LINK = "countersign-admin-link"
SESSION = "countersign-admin-session"
CSRF = "countersign-admin-csrf"


def secret() -> bytes:
    return canonical_email.hash_secret()


def timed(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret(), salt=salt)


def plain(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret(), salt=salt)


def keyed_hash(purpose: str, value: str) -> str:
    """A keyed hash for storage keys that must not reveal what they are about (an address, a nonce)."""
    return hmac.new(secret(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:40]
