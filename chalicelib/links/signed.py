"""Signed links: the one token format behind every link we mail (confirmation, updates opt-in, removal, admin sign-in).

A token is itsdangerous's URL-safe timed serialisation of a JSON payload,
signed with HMAC under a key derived from a secret and the link's own salt,
and stamped with the time it was made. Distinct salts keep the purposes
apart: a token made for one kind of link never passes as another's, even
under the same secret.

Reading a token checks its signature first and its age second, so an expired
token is still known to be ours (its page can offer a fresh link) while a
forged, altered or truncated one is simply invalid.

Invariant: a link's salt, digest, secret and payload shape are its format.
Links already sit in inboxes, so changing any of them for a purpose breaks
every link of that purpose still outstanding.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

MAX_TOKEN_CHARS = 512  # a real one is about 140; anything longer is not ours, and is not worth verifying


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"  # ours, but older than the link's lifetime (or stamped in the future)
    INVALID = "invalid"  # not ours: altered, truncated, made with another secret or salt, or not a token at all


@dataclass(frozen=True)
class LinkCheck:
    """What a token says. The payload and the time it was made are known for VALID and EXPIRED only."""

    state: LinkState
    payload: Any = None
    issued_at: float | None = None


def _clocked(now: float) -> type[TimestampSigner]:
    """itsdangerous's signer, reading the time the caller gives (tests, and checks against a request's clock)."""
    moment = int(now)

    class At(TimestampSigner):
        def get_timestamp(self) -> int:
            return moment

    return At


class SignedLink:
    """One kind of mailed link: its salt, its lifetime and the secret its tokens are signed with.

    ``max_age`` may be a callable, read at each check: lifetimes come from the
    stage's settings, which tests and local runs change in process. ``secret``
    is called at each use for the same reason; its owner caches it. ``digest``
    is part of the format: the admin sign-in links were made with
    itsdangerous's default (SHA-1) and keep it; the signers' links use SHA-256.
    """

    def __init__(self, salt: str, max_age: int | Callable[[], int], secret: Callable[[], bytes], *,
                 digest: Callable[..., Any] = hashlib.sha256) -> None:
        self.salt = salt
        self._max_age = max_age
        self._secret = secret
        self._digest = digest

    def max_age(self) -> int:
        return self._max_age() if callable(self._max_age) else self._max_age

    def _serializer(self, key: bytes | None, now: float | None) -> URLSafeTimedSerializer:
        # Without a given time the plain signer reads the clock itself, as it always has.
        signer = _clocked(now) if now is not None else TimestampSigner
        return URLSafeTimedSerializer(key or self._secret(), salt=self.salt, signer=signer,
                                      signer_kwargs={"digest_method": self._digest})

    def make(self, payload: Any, now: float | None = None, key: bytes | None = None) -> str:
        """A token carrying ``payload`` (anything JSON can hold), stamped ``now`` (default: the clock)."""
        return self._serializer(key, now).dumps(payload)

    def read(self, token: str, now: float | None = None, key: bytes | None = None,
             max_age: int | None = None) -> LinkCheck:
        """What a token from a link says, at ``now`` (default: the clock). Never raises for a bad token."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            return LinkCheck(LinkState.INVALID)
        serializer = self._serializer(key, now)
        lifetime = self.max_age() if max_age is None else max_age
        try:
            payload, issued = serializer.loads(token, max_age=lifetime, return_timestamp=True)
        except SignatureExpired as exc:
            # The signature was checked before the age: the payload is ours.
            if exc.payload is None:
                return LinkCheck(LinkState.INVALID)
            try:
                payload = serializer.load_payload(exc.payload)
            except BadData:
                return LinkCheck(LinkState.INVALID)
            return LinkCheck(LinkState.EXPIRED, payload, exc.date_signed.timestamp() if exc.date_signed else None)
        except BadData:
            return LinkCheck(LinkState.INVALID)
        return LinkCheck(LinkState.VALID, payload, issued.timestamp())
