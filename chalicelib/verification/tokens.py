"""Confirmation links' tokens: opaque, signed, expiring, naming one signature; and the secret every signer's link uses.

A token is a ``SignedLink`` (chalicelib/links/signed.py) whose payload is the
signature's key (``<petition>#<keyed hash of the address>``: nothing
personal), signed with HMAC-SHA256 under the verification secret and a salt
of its own, and checked against the configured link lifetime. An expired
token is still known to be ours and can ask for a fresh link. The updates
opt-in and the removal links are signed with the same secret under salts of
their own.

The secret comes from ``VERIFY_TOKEN_SECRET`` (local runs and tests) or the
SSM SecureString named by ``VERIFY_TOKEN_PARAMETER`` (deployed stages), read
once per container (aws/parameters.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chalicelib.aws import clients, config, parameters
from chalicelib.links.signed import LinkState, SignedLink

SALT = "countersign.confirm-signature"


class MissingSecret(RuntimeError):
    pass


# What makes a signer's link unavailable for a moment (a 503 page, never a 500): our storage, or the secret.
FAILURES = (*clients.STORAGE_ERRORS, MissingSecret)


class TokenState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"  # ours, but older than the link lifetime
    TAMPERED = "tampered"  # not ours: altered, truncated, made with another secret, or not a token at all
    WRONG_PETITION = "wrong_petition"  # ours, for a signature on another petition


@dataclass(frozen=True)
class TokenCheck:
    state: TokenState
    signature_key: str | None = None  # known for VALID and EXPIRED
    issued_at: float | None = None


def secret() -> bytes:
    s = config.settings()
    if s.verify_token_secret:
        return s.verify_token_secret.encode("utf-8")
    if s.verify_token_parameter:
        return parameters.get(s.verify_token_parameter, decrypt=True, transform=str.encode)
    raise MissingSecret("set VERIFY_TOKEN_SECRET or VERIFY_TOKEN_PARAMETER")


LINK = SignedLink(SALT, max_age=lambda: config.settings().verify_link_seconds, secret=lambda: secret())


def make(signature_key: str, now: float | None = None, key: bytes | None = None) -> str:
    """A token for a confirmation link to this signature."""
    return LINK.make(signature_key, now, key)


def read(token: str, petition_id: str, now: float | None = None, key: bytes | None = None,
         max_age: int | None = None) -> TokenCheck:
    """What a token from a link says, checked against the petition the link is on."""
    check = LINK.read(token, now, key, max_age)
    signature_key = check.payload
    if check.state == LinkState.INVALID or not isinstance(signature_key, str) or "#" not in signature_key:
        return TokenCheck(TokenState.TAMPERED)
    if signature_key.split("#", 1)[0] != petition_id:
        return TokenCheck(TokenState.WRONG_PETITION)
    state = TokenState.VALID if check.state == LinkState.VALID else TokenState.EXPIRED
    return TokenCheck(state, signature_key, check.issued_at)
