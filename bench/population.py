"""Synthetic signers and the stream records their signatures make.

Countries follow a Zipf-like skew over ~190 countries, the way a global
petition's signatures pile up in a few countries and thin out in a long tail;
one country can be pinned to an exact count (UNHCR's petition had 8,500
signatures from GB). Everything is seeded, so runs are comparable.
"""
from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from chalicelib.i18n import countries

STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/bench-signatures/stream/2026-11-27T00:00:00.000"
SHARD = "shardId-00000001764201600000-bench0001"
FIRST_SEQUENCE = 10 ** 20  # real sequence numbers are 21 to 40 digits
ZIPF_EXPONENT = 1.1
COUNTRY_COUNT = 190


# Large, well-connected countries lead a global online petition; the rest follow in a seeded random order.
LEADERS = ("US", "DE", "FR", "BR", "IT", "ES", "CA", "IN", "MX", "AU", "NL", "AR", "PL", "SE", "CH",
           "BE", "IE", "ZA", "NG", "KE", "PH", "CO", "TR", "JP", "AT")


def country_weights(seed: int = 7, count: int = COUNTRY_COUNT, exclude: tuple[str, ...] = ()) -> dict[str, float]:
    """``count`` countries in rank order, weighted 1/rank^s."""
    leaders = [code for code in LEADERS if code not in exclude]
    rest = sorted(code for code in countries.names() if code not in exclude and code not in leaders)
    random.Random(seed).shuffle(rest)
    codes = leaders + rest
    return {code: 1 / rank ** ZIPF_EXPONENT for rank, code in enumerate(codes[:count], start=1)}


@dataclass
class Population:
    """Which country each of ``size`` signatures comes from, drawn lazily in stream order."""

    size: int
    pinned: dict[str, int] = field(default_factory=dict)  # country -> exact count
    seed: int = 2026
    counts: Counter = field(default_factory=Counter)  # what was actually generated

    def countries(self, batch: int = 1000) -> Iterator[list[str]]:
        rng = random.Random(self.seed)
        weights = country_weights(self.seed, exclude=tuple(self.pinned))
        codes, cumulative = list(weights), list(itertools.accumulate(weights.values()))
        pinned_codes = [code for code, n in self.pinned.items() for _ in range(n)]
        pinned_at = dict(zip(rng.sample(range(self.size), len(pinned_codes)), pinned_codes, strict=False))
        for start in range(0, self.size, batch):
            stop = min(start + batch, self.size)
            drawn = rng.choices(codes, cum_weights=cumulative, k=stop - start)
            for position in range(start, stop):
                if position in pinned_at:
                    drawn[position - start] = pinned_at[position]
            self.counts.update(drawn)
            yield drawn


class RecordBuilder:
    """INSERT records of confirmed signatures, in Lambda's DynamoDB event shape.

    The images carry every attribute a stored signature has, so decoding costs
    what it costs in production; values that repeat are shared dicts, so
    building a million records stays cheap.
    """

    def __init__(self, petition_id: str, first_sequence: int = FIRST_SEQUENCE):
        self.petition_id = petition_id
        self.sequence = first_sequence
        self._petition = {"S": petition_id}
        self._countries: dict[str, dict] = {}
        self._constant = {
            "name": {"S": "Alex Example"}, "status": {"S": "confirmed"},
            "updates_opt_in": {"BOOL": False}, "consent_at": {"S": "2026-11-27T00:00:00Z"},
            "created_at": {"S": "2026-11-27T00:00:00Z"}, "petition_id": self._petition,
        }

    def record(self, country: str) -> dict:
        self.sequence += 1
        sequence = str(self.sequence)
        key = {"S": f"{self.petition_id}#{self.sequence:064x}"}
        typed_country = self._countries.get(country)
        if typed_country is None:
            typed_country = self._countries[country] = {"S": country}
        image = {**self._constant, "signature_key": key, "country": typed_country,
                 "email": {"S": f"signer{sequence}@example.org"}}
        return {
            "eventID": sequence, "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "eventSourceARN": STREAM_ARN,
            "dynamodb": {"Keys": {"signature_key": key}, "NewImage": image, "SequenceNumber": sequence,
                         "SizeBytes": 300, "StreamViewType": "NEW_AND_OLD_IMAGES",
                         "ApproximateCreationDateTime": 1764201600},
        }

    def records(self, country_batch: list[str]) -> list[dict]:
        return [self.record(country) for country in country_batch]


def event(records: list[dict], shard: str = SHARD) -> dict:
    """Lambda's DynamoDB event for a mapping with a tumbling window (which names the shard)."""
    return {"Records": records, "shardId": shard, "eventSourceARN": STREAM_ARN,
            "window": {"start": "2026-11-27T00:00:00Z", "end": "2026-11-27T00:01:00Z"},
            "state": {}, "isFinalInvokeForWindow": False, "isWindowTerminatedEarly": False}


def signer(i: int, country: str, run: str = "") -> dict:
    """A valid JSON sign request body for the i-th signer."""
    return {"name": f"Signer {i}", "email": f"signer.{run}{i}@example.org", "country": country,
            "consent": True, "updates_opt_in": i % 3 == 0}
