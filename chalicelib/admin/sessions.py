"""Admin sessions: a signed cookie that names a server-side record, and CSRF tokens.

The cookie (HttpOnly, SameSite=Strict, Secure unless the stage's public
address is plain http, 8 hours) is signed and time-stamped with itsdangerous;
it names a session whose record in the admin table must still exist, so
signing out (or deleting the record) ends it at once, whatever the cookie.

Every POST carries a CSRF token: for a session, a signature of its id; before
sign-in, a signature of a random value kept in a short-lived cookie (the
double-submit pattern), so a page elsewhere can neither sign someone in nor
act in their name.
"""
from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from itsdangerous import BadData

from chalicelib.admin import keys, records
from chalicelib.aws import config

COOKIE = "cs_admin"
PRE_COOKIE = "cs_pre"  # before sign-in: binds the sign-in forms' CSRF token to this browser
SESSION_SECONDS = 8 * 3600
PRE_SECONDS = 3600


@dataclass(frozen=True)
class Session:
    sid: str
    email: str

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.sid)


def start(email: str, now: float | None = None) -> tuple[Session, str]:
    """A new session for ``email``; the cookie value that carries it."""
    now = time.time() if now is None else now
    sid = secrets.token_urlsafe(24)
    records.put(_key(sid), int(now) + SESSION_SECONDS, email=email)
    return Session(sid, email), keys.timed(keys.SESSION).dumps({"s": sid})


def current(cookie_header: str | None, now: float | None = None) -> Session | None:
    """The live session the request's cookie names, or None."""
    value = cookies(cookie_header).get(COOKIE)
    if not value or len(value) > 512:
        return None
    try:
        payload = keys.timed(keys.SESSION).loads(value, max_age=SESSION_SECONDS)
    except BadData:
        return None
    sid = payload.get("s") if isinstance(payload, dict) else None
    if not isinstance(sid, str):
        return None
    record = records.get(_key(sid), time.time() if now is None else now)
    if record is None:  # signed out, or expired
        return None
    return Session(sid, record["email"])


def end(session: Session) -> None:
    records.delete(_key(session.sid))


def _key(sid: str) -> str:
    return f"session#{keys.keyed_hash('session', sid)}"


# ---- cookies ---------------------------------------------------------------------------------

def cookies(header: str | None) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header or "")
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _secure() -> bool:
    """Secure everywhere but a plain-http local stack (a browser would drop a Secure cookie there)."""
    base = config.settings().public_base_url or ""
    return not base.startswith("http://")


def set_cookie(name: str, value: str, max_age: int) -> str:
    parts = [f"{name}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Strict"]
    if _secure():
        parts.append("Secure")
    return "; ".join(parts)


def session_cookie(value: str) -> str:
    return set_cookie(COOKIE, value, SESSION_SECONDS)


def cleared(name: str = COOKIE) -> str:
    return set_cookie(name, "", 0)


# ---- CSRF ----------------------------------------------------------------------------------------

def csrf_token(binding: str) -> str:
    return keys.plain(keys.CSRF).dumps(binding)


def csrf_ok(token: str | None, binding: str | None) -> bool:
    if not token or not binding or len(token) > 512:
        return False
    try:
        signed_for = keys.plain(keys.CSRF).loads(token)
    except BadData:
        return False
    return isinstance(signed_for, str) and hmac.compare_digest(signed_for, binding)


def pre_binding(cookie_header: str | None) -> tuple[str, str | None]:
    """This browser's pre-sign-in value, and a Set-Cookie for it when it had none."""
    value = cookies(cookie_header).get(PRE_COOKIE)
    if value and 16 <= len(value) <= 64:
        return value, None
    value = secrets.token_urlsafe(24)
    return value, set_cookie(PRE_COOKIE, value, PRE_SECONDS)
