"""Disposable-address domains, from the maintained list of the disposable-email-domains package (pinned).

These get a 422 on the email field rather than silent rejection: a real
person who typed a throwaway address can fix it, and our message says how.
A subdomain of a listed domain is disposable too (``x.mailinator.com``).
"""
from __future__ import annotations

from disposable_email_domains import allowlist, blocklist


def is_disposable(domain: str) -> bool:
    labels = domain.lower().rstrip(".").split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    if any(candidate in allowlist for candidate in candidates[:1]):
        return False
    return any(candidate in blocklist for candidate in candidates)
