"""Confirmation links' tokens: opaque, signed, expiring, naming one signature.

A token is itsdangerous's URL-safe timed serialisation of the signature's key
(``<petition>#<keyed hash of the address>``: nothing personal), signed with
HMAC-SHA256 under a key derived from the verification secret and a salt of its
own, and stamped with the time it was made. Reading it checks the signature
first, then the age against the configured link lifetime, so an expired token
is still known to be ours and can ask for a fresh link.

The secret comes from ``VERIFY_TOKEN_SECRET`` (local runs and tests) or the
SSM SecureString named by ``VERIFY_TOKEN_PARAMETER`` (deployed stages), read
once per container (aws/parameters.py).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from chalicelib.aws import config, parameters

SALT = "countersign.confirm-signature"
MAX_TOKEN_CHARS = 512  # a real one is about 140; anything longer is not ours


class MissingSecret(RuntimeError):
    pass


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


def _serializer(key: bytes, now: float | None) -> URLSafeTimedSerializer:
    options = {"digest_method": hashlib.sha256}
    if now is None:
        return URLSafeTimedSerializer(key, salt=SALT, signer_kwargs=options)
    moment = int(now)

    class At(TimestampSigner):
        """The signer, with the clock the caller gives (tests and the expiry check)."""

        def get_timestamp(self) -> int:
            return moment

    return URLSafeTimedSerializer(key, salt=SALT, signer=At, signer_kwargs=options)


def make(signature_key: str, now: float | None = None, key: bytes | None = None) -> str:
    """A token for a confirmation link to this signature."""
    return _serializer(key or secret(), now).dumps(signature_key)


def read(token: str, petition_id: str, now: float | None = None, key: bytes | None = None,
         max_age: int | None = None) -> TokenCheck:
    """What a token from a link says, checked against the petition the link is on."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return TokenCheck(TokenState.TAMPERED)
    serializer = _serializer(key or secret(), now if now is not None else time.time())
    lifetime = max_age if max_age is not None else config.settings().verify_link_seconds
    try:
        signature_key, issued = serializer.loads(token, max_age=lifetime, return_timestamp=True)
        state = TokenState.VALID
        issued_at = issued.timestamp()
    except SignatureExpired as exc:
        # The signature was checked before the age: the payload is ours.
        if exc.payload is None:
            return TokenCheck(TokenState.TAMPERED)
        try:
            signature_key = serializer.load_payload(exc.payload)
        except BadSignature:
            return TokenCheck(TokenState.TAMPERED)
        state = TokenState.EXPIRED
        issued_at = exc.date_signed.timestamp() if exc.date_signed else None
    except BadSignature:
        return TokenCheck(TokenState.TAMPERED)
    if not isinstance(signature_key, str) or "#" not in signature_key:
        return TokenCheck(TokenState.TAMPERED)
    if signature_key.split("#", 1)[0] != petition_id:
        return TokenCheck(TokenState.WRONG_PETITION)
    return TokenCheck(state, signature_key, issued_at)
