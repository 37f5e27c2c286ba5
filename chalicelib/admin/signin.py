"""Signing in by emailed link: no passwords.

- Only allowlisted addresses get a link, and everyone gets the same answer,
  so the form tells nobody who is an admin.
- Each address may ask for at most ``LINKS_PER_WINDOW`` links per window,
  allowlisted or not (the counter is keyed by a keyed hash, not the address).
- A link works once, within ``LINK_SECONDS``: its token is a signed link
  (chalicelib/links/signed.py) naming a nonce whose record is deleted as it
  is used.
- The link is built from the stage's configured public address, never from
  the request's Host or X-Forwarded-* headers, which the sender controls.

Mail goes out through a ``send(to, subject, text, html)`` callable handed in
by the caller, so this module does not know which sender a stage uses.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.admin import keys, records
from chalicelib.aws import clients, config, parameters
from chalicelib.links.signed import LinkState, SignedLink

log = logging.getLogger(__name__)

SendMail = Callable[[str, str, str, str], None]  # to, subject, plain text, HTML

LINK_SECONDS = 15 * 60
LINKS_PER_WINDOW = 5
WINDOW_SECONDS = 15 * 60
ALLOWLIST_SECONDS = 60.0  # how long a container trusts the allowlist it read
ANSWER = ("If that address may sign in, a sign-in link is on its way to it. The link works once, "
          "for 15 minutes.")


# The token format of links already mailed: the admin key's secret, its own salt, and itsdangerous's default
# digest (SHA-1), which these links were first made with. Changing any of them voids the links in inboxes.
LINK = SignedLink(keys.LINK, LINK_SECONDS, secret=keys.secret, digest=hashlib.sha1)


class NoPublicAddress(RuntimeError):
    """The stage has no public base URL configured, so no link can be built safely."""


# ---- the allowlist --------------------------------------------------------------------

def allowlist() -> frozenset[str]:
    """Addresses that may sign in: the SSM StringList when deployed (re-read after a minute), else ADMIN_ALLOWLIST."""
    s = config.settings()
    if not s.admin_allowlist_parameter:
        return s.admin_allowlist
    return parameters.get(s.admin_allowlist_parameter, max_age=ALLOWLIST_SECONDS, transform=_addresses)


def _addresses(value: str) -> frozenset[str]:
    return frozenset(a.strip().lower() for a in value.split(",") if "@" in a)


def normalised(address: str) -> str:
    return (address or "").strip().lower()


# ---- asking for a link --------------------------------------------------------------------

def request_link(address: str, send: SendMail, now: float | None = None) -> str:
    """Send a sign-in link if the address may have one; the answer is the same either way."""
    now = time.time() if now is None else now
    address = normalised(address)
    if not address or "@" not in address or len(address) > 254:
        return ANSWER
    window = int(now // WINDOW_SECONDS)
    asked = records.count(f"rate#{keys.keyed_hash('rate', address)}#{window}",
                          (window + 1) * WINDOW_SECONDS + 60)
    if asked > LINKS_PER_WINDOW:
        log.warning("admin sign-in rate limited who=%s", keys.keyed_hash("log", address)[:10])
        return ANSWER
    if address not in allowlist():
        log.info("admin sign-in asked by an address not on the allowlist")
        return ANSWER
    base = config.settings().public_base_url
    if not base:
        raise NoPublicAddress("set PUBLIC_BASE_URL: sign-in links are built from it")
    nonce = secrets.token_urlsafe(24)
    records.put(f"link#{keys.keyed_hash('link', nonce)}", int(now) + LINK_SECONDS, email=address)
    token = LINK.make({"n": nonce})
    link = f"{base}/admin/sign-in/{token}"
    text = (f"Sign in to Countersign's admin area:\n\n{link}\n\nThe link works once, for 15 minutes. "
            "If you did not ask for it, ignore this message: nobody can sign in without it.\n")
    html = (f'<p>Sign in to Countersign\'s admin area:</p><p><a href="{link}">Sign in</a></p>'
            "<p>The link works once, for 15 minutes. If you did not ask for it, ignore this message: "
            "nobody can sign in without it.</p>")
    try:
        send(address, "Your Countersign sign-in link", text, html)
    except Exception as exc:  # the answer stays the same; the operator sees why in the log
        log.error("admin sign-in mail not sent error=%s", clients.error_code(exc))
    return ANSWER


# ---- using a link ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Opened:
    email: str


def token_looks_valid(token: str) -> bool:
    """Signed and not expired (whether it was used already shows only when it is used)."""
    return _nonce(token) is not None


def use_link(token: str, now: float | None = None) -> Opened | None:
    """The address the link was sent to, once; None when the link is forged, expired or used."""
    now = time.time() if now is None else now
    nonce = _nonce(token)
    if nonce is None:
        return None
    record = records.take(f"link#{keys.keyed_hash('link', nonce)}", now)
    if record is None or record.get("email") not in allowlist():
        return None  # used already, or the address left the allowlist since
    return Opened(record["email"])


def _nonce(token: str) -> str | None:
    check = LINK.read(token)
    payload = check.payload if check.state == LinkState.VALID else None
    nonce = payload.get("n") if isinstance(payload, dict) else None
    return nonce if isinstance(nonce, str) else None
