"""Signatures to invalidate, and their statuses."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from chalicelib.aws import models
from chalicelib.fraud import identity
from chalicelib.signing import intake

SCRIPT = identity.Client("203.0.113.7", "python")


NOW = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)


def sign(n: int, client: identity.Client, country: str = "GB", domain: str = "example.org", at=NOW):
    for i in range(n):
        body = f'{{"name": "P {i}", "email": "p{i}.{client.address}.{country}@{domain}", "country": "{country}", ' \
               '"consent": true}'
        assert intake.receive("demo", body, "application/json", now=at, client=client).status == 202


def statuses() -> Counter:
    return Counter(s.status for s in models.Signature.scan())
