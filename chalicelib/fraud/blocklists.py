"""Blocked and allowed email domains and client networks, per deployment.

A signature that matches a blocked domain or network, and no allowed one
(the allowlist wins), is stored with status ``fraudulent``: never counted,
and its sender gets exactly the answer an honest signer gets, so a script
learns nothing. (Disposable-address domains are different: a person can fix
those, so they get a 422; see ``chalicelib.fraud.disposable``.)

The lists are one JSON document::

    {"blocked_domains": ["spam.example", "*.spam.example", "**.bulk.example"],
     "blocked_networks": ["203.0.113.0/24", "2001:db8:bad::/48"],
     "allowed_domains": ["good.spam.example"],
     "allowed_networks": ["203.0.113.7"]}

Domain patterns: ``example.org`` is that domain only; ``*.example.org`` any
one label under it (``a.example.org``, not ``a.b.example.org``);
``**.example.org`` any depth under it (neither pattern matches
``example.org`` itself: list it too). Networks are CIDR ranges, IPv4 or
IPv6; a bare address is its own range.

Locally the document is a file (``BLOCKLIST_FILE``); deployed, an SSM
parameter (``BLOCKLIST_PARAMETER``). Either is read, and parsed, at most
once per ``BLOCKLIST_CACHE_SECONDS`` per container (through
aws/parameters.py), so the sign path's one DynamoDB request stays one. When
the document cannot be read or does not parse, the last good lists stay in
force (none, on a cold start): a blocklist outage must not stop honest
people signing.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import re
from dataclasses import dataclass

from chalicelib.aws import config, parameters
from chalicelib.fraud import identity

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)


class BadList(ValueError):
    """The document is not a blocklist: the message says which entry."""


@dataclass(frozen=True)
class DomainPattern:
    suffix: str  # the labels after the glob, or the whole domain
    depth: str  # "exact", "one" (``*.``) or "any" (``**.``)

    def matches(self, domain: str) -> bool:
        if self.depth == "exact":
            return domain == self.suffix
        head, dot, tail = domain.rpartition("." + self.suffix)
        if not dot or tail or not head:
            return False
        return self.depth == "any" or "." not in head


def domain_pattern(text: str) -> DomainPattern:
    raw = text.strip().lower().rstrip(".")
    depth, rest = ("any", raw[3:]) if raw.startswith("**.") else ("one", raw[2:]) if raw.startswith("*.") \
        else ("exact", raw)
    labels = rest.split(".")
    if not rest or not all(LABEL.fullmatch(label) for label in labels):
        raise BadList(f"{text!r} is not a domain or a domain pattern (*.example.org, **.example.org)")
    return DomainPattern(rest, depth)


def network(text: str) -> Network:
    try:
        found = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise BadList(f"{text!r} is not an IP address or CIDR range") from None
    if isinstance(found, ipaddress.IPv6Network) and found.prefixlen >= 96 and \
            found.network_address.ipv4_mapped is not None:
        # ::ffff:203.0.113.0/120 is the IPv4 range, as addresses are compared in their IPv4 form.
        return ipaddress.ip_network(f"{found.network_address.ipv4_mapped}/{found.prefixlen - 96}")
    return found


@dataclass(frozen=True)
class Lists:
    blocked_domains: tuple[DomainPattern, ...] = ()
    blocked_networks: tuple[Network, ...] = ()
    allowed_domains: tuple[DomainPattern, ...] = ()
    allowed_networks: tuple[Network, ...] = ()

    def verdict(self, domain: str | None, address: str | None) -> bool:
        """True when a signature from this email domain and client address is to be stored as fraudulent."""
        domain = (domain or "").lower().rstrip(".") or None
        ip = identity.normalised(address) if address else None
        if domain and any(p.matches(domain) for p in self.allowed_domains):
            return False
        if ip is not None and any(ip in n for n in self.allowed_networks):
            return False
        if domain and any(p.matches(domain) for p in self.blocked_domains):
            return True
        return ip is not None and any(ip in n for n in self.blocked_networks)

    def __bool__(self) -> bool:
        return bool(self.blocked_domains or self.blocked_networks)


EMPTY = Lists()
KEYS = ("blocked_domains", "blocked_networks", "allowed_domains", "allowed_networks")


def parse(document: str | dict) -> Lists:
    """The lists from their JSON document; BadList names the first bad entry."""
    if isinstance(document, str):
        try:
            document = json.loads(document) if document.strip() else {}
        except ValueError as exc:
            raise BadList(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadList("the document must be a JSON object")
    unknown = set(document) - set(KEYS)
    if unknown:
        raise BadList(f"unknown keys {sorted(unknown)}; the keys are {', '.join(KEYS)}")
    for key in KEYS:
        entries = document.get(key, [])
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise BadList(f"{key} must be a list of strings")
    return Lists(
        blocked_domains=tuple(domain_pattern(d) for d in document.get("blocked_domains", [])),
        blocked_networks=tuple(network(n) for n in document.get("blocked_networks", [])),
        allowed_domains=tuple(domain_pattern(d) for d in document.get("allowed_domains", [])),
        allowed_networks=tuple(network(n) for n in document.get("allowed_networks", [])),
    )


# ---- the lists in force ---------------------------------------------------------

def current() -> Lists:
    """The lists in force: re-read at most once per cache period; the last good ones if reading fails."""
    s = config.settings()
    source: parameters.Source
    if s.blocklist_file:
        name, source = s.blocklist_file, parameters.local_file
    elif s.blocklist_parameter:
        name, source = s.blocklist_parameter, parameters.ssm
    else:
        return EMPTY
    period = s.blocklist_cache_seconds
    try:
        # A stage that never made the parameter (or file) has no lists; a failed read is asked again
        # a period later, not before.
        return parameters.get(name, source=source, transform=_parsed, max_age=period, retry_after=period,
                              missing=EMPTY, keep_last_good=True)
    except parameters.Unavailable:
        return EMPTY  # unreadable since a cold start (the log says why): none


def _parsed(document: str) -> Lists:
    """``parse``, saying in the log which entry is bad (the parameter reader logs only the error's kind)."""
    try:
        return parse(document)
    except BadList as exc:
        log.error("blocklists document refused reason=%s", exc)
        raise
