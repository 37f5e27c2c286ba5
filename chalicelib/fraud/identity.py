"""Who sent a signature, privately: a keyed hash of the client address, a user-agent family, the email domain.

The first two go on the signature item in its one write (the domain is the
stored address's own), so invalidation and the trending detector can group
signatures without ever storing a client's address:

- the address is hashed with the same secret-keyed HMAC as the email key
  (``canonical_email.hash_secret``), so nobody without the key can test an
  address against the table; an operator who reads an address in WAF logs
  hashes it with the same key (``make invalidate --ip``). An IPv6 address is
  hashed as its /64 network: one subscriber line gets a whole /64, and a
  script rotating through it is still one client;
- the user agent is reduced to a coarse family (a dozen values) on purpose:
  enough to tell a browser from ``curl`` or a scripting library, too little
  to fingerprint a person. A parsing library with a full database of agents
  would give exactly the detail we do not want to keep.

Which address is the client's is the front door's business
(``front_door.client_address``); ``X-Forwarded-For`` is believed only when the
stage says so (``TRUST_FORWARDED_FOR``), which only the local dev stack does,
so tests can play many clients from one machine.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass

from chalicelib.aws import config
from chalicelib.identity import canonical_email
from chalicelib.web import origin_guard

IP_HASH_CHARS = 32  # 128 bits of the HMAC: plenty to tell clients apart, and small on the item
FORWARDED_FOR = "x-forwarded-for"
IPV6_PREFIX = 64


@dataclass(frozen=True)
class Client:
    """The request's sender as the sign path stores it (no raw address)."""

    address: str | None  # in memory only, for the blocklist's network rules; never stored or logged
    user_agent_family: str


def normalised(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address, an IPv4-mapped IPv6 address as its IPv4 one; None when it is not an address."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def hashed_part(address: str) -> str | None:
    """What of an address is hashed: the IPv4 address, or the /64 network of an IPv6 one."""
    ip = normalised(address)
    if ip is None:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def ip_hash(address: str | None, secret: bytes) -> str | None:
    """The keyed hash of a client address (hex, 32 characters); None when there is no valid address."""
    part = hashed_part(address) if address else None
    if part is None:
        return None
    # "ip:" keeps these hashes apart from the email keys made with the same secret.
    return hmac.new(secret, b"ip:" + part.encode("ascii"), hashlib.sha256).hexdigest()[:IP_HASH_CHARS]


def email_domain(address: str) -> str:
    """The domain of a validated address, lower case: ``Name@Mail.Example.org`` -> ``mail.example.org``."""
    return address.rpartition("@")[2].strip().lower().rstrip(".")


# Coarse families, first match wins: the order matters (Edge and Opera say "Chrome",
# Chrome says "Safari"). Tools and libraries first: they rarely pretend to be browsers.
_PATTERNS = (
    ("bot", r"bot\b|crawler|spider|headless"),
    ("curl", r"^curl/"),
    ("wget", r"^wget/"),
    ("python", r"python|aiohttp|httpx"),
    ("script", r"^(go-http-client|java/|okhttp|node-fetch|axios|undici|libwww-perl|ruby|php)"),
    ("edge", r"\bEdg(e|A|iOS)?/"),
    ("opera", r"\b(OPR|Opera)/"),
    ("samsung", r"SamsungBrowser/"),
    ("firefox", r"\b(Firefox|FxiOS)/"),
    ("chrome", r"\b(Chrome|CriOS|Chromium)/"),
    ("safari", r"\bSafari/"),
)
_FAMILIES = tuple((family, re.compile(pattern, re.IGNORECASE)) for family, pattern in _PATTERNS)
UNKNOWN_AGENT = "other"
NO_AGENT = "none"


def user_agent_family(user_agent: str | None) -> str:
    """``Mozilla/5.0 ... Firefox/128.0`` -> ``firefox``; ``curl/8.5.0`` -> ``curl``; nothing -> ``none``."""
    if not user_agent or not user_agent.strip():
        return NO_AGENT
    for family, pattern in _FAMILIES:
        if pattern.search(user_agent):
            return family
    return UNKNOWN_AGENT


def client_address(request) -> str | None:
    """The signer's address: the front door's, or under the local dev stack the first ``X-Forwarded-For`` entry."""
    if config.settings().trust_forwarded_for:
        forwarded = ((request.headers or {}).get(FORWARDED_FOR) or "").split(",")[0].strip()
        if forwarded and normalised(forwarded) is not None:
            return forwarded
    return origin_guard.client_address(request)


def of_request(request) -> Client:
    """The client of a sign request."""
    address = client_address(request)
    ip = normalised(address) if address else None
    return Client(address=str(ip) if ip is not None else None,
                  user_agent_family=user_agent_family((request.headers or {}).get("user-agent")))


def stored_hash(client: Client | None) -> str | None:
    """The hash that goes on the signature (the secret is the one the email key already loaded)."""
    if client is None or client.address is None:
        return None
    return ip_hash(client.address, canonical_email.hash_secret())
