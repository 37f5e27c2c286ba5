"""Trending detection inside the tally: who is signing a lot, from the records the tally already reads.

Not a third stream reader (a shard serves two readers before reads are
throttled, and the tally and the mailer are those two), and no write per
signature: the tally hands each batch's records here, and this counts, per
petition, new signatures per IP hash, per email domain and per country:

- within the batch, and
- within a rolling window kept in the container's memory (buckets of
  ``BUCKET_SECONDS``; a container reads one shard at a time, so the window
  is per shard: a burst spread over many shards shows in each, at its share).

A key over its threshold (``TRENDING_BATCH_*``, ``TRENDING_WINDOW_*`` in
configuration; 0 turns a kind off) gives one structured log line and one
EMF metric (``TrendingKeys``, with the petition and kind as properties),
once per key per window, not once per batch. The IP is its keyed hash: the
log line is what an operator pastes into ``make invalidate --ip-hash``.

Counting is best effort by design: a redelivered batch counts again (this
detects, it does not count votes), and a crash never fails the tally (see
``observe``).
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from chalicelib.aws import caches, config, metrics
from chalicelib.fraud import identity

log = logging.getLogger(__name__)

BUCKET_SECONDS = 10
METRIC = "TrendingKeys"
Key = tuple[str, str, str]  # (petition, kind, value)


def keys_of(record: dict) -> list[Key]:
    """The keys a new signature counts under: its IP hash, email domain, country. Nothing for other records."""
    if record.get("eventName") != "INSERT":
        return []
    image = (record.get("dynamodb") or {}).get("NewImage") or {}

    def text(name: str) -> str | None:
        value = image.get(name)
        return value.get("S") if isinstance(value, dict) else None

    petition = text("petition_id")
    if not petition:
        return []  # a keys-only image (moto's first INSERT of an UpdateItem) or not a signature
    keys: list[Key] = []
    if ip := text("ip_hash"):
        keys.append((petition, "ip", ip))
    if email := text("email"):
        keys.append((petition, "domain", identity.email_domain(email)))
    if country := text("country"):
        keys.append((petition, "country", country))
    return keys


def count(records: list) -> Counter:
    """Per key, the new signatures in a batch."""
    counted: Counter = Counter()
    for record in records:
        if isinstance(record, dict):
            counted.update(keys_of(record))
    return counted


def over(counts: Counter, thresholds: dict[str, int]) -> dict[Key, int]:
    """The keys at or over their kind's threshold (a threshold of 0 is off)."""
    return {key: n for key, n in counts.items() if thresholds.get(key[1], 0) > 0 and n >= thresholds[key[1]]}


@dataclass
class Window:
    """Counts of the last ``seconds``, in buckets, and which keys were already reported in it."""

    seconds: float
    buckets: deque = field(default_factory=deque)  # (bucket start, Counter)
    totals: Counter = field(default_factory=Counter)  # the buckets summed, kept as they come and go
    reported: dict[tuple[str, Key], float] = field(default_factory=dict)  # (scope, key) -> when

    def add(self, counts: Counter, now: float) -> Counter:
        """Add a batch's counts; return the window's totals for the keys in this batch."""
        start = now - now % BUCKET_SECONDS
        if not self.buckets or self.buckets[-1][0] != start:
            self.buckets.append((start, Counter()))
        self.buckets[-1][1].update(counts)
        self.totals.update(counts)
        while self.buckets and self.buckets[0][0] <= now - self.seconds - BUCKET_SECONDS:
            _, expired = self.buckets.popleft()
            self.totals.subtract(expired)
            for key in expired:
                if self.totals[key] <= 0:
                    del self.totals[key]
        self.reported = {k: at for k, at in self.reported.items() if at > now - self.seconds}
        return Counter({key: self.totals[key] for key in counts})

    def first_time(self, scope: str, key: Key, now: float) -> bool:
        if (scope, key) in self.reported:
            return False
        self.reported[(scope, key)] = now
        return True


_window: caches.Slot[Window] = caches.Slot()


def _current_window() -> Window:
    seconds = config.settings().trending_window_seconds
    if _window.value is None or _window.value.seconds != seconds:
        _window.value = Window(seconds)
    return _window.value


def detect(records: list, now: float | None = None) -> list[dict]:
    """The trending reports for a batch: each key over a threshold, once per window; updates the window."""
    now = time.time() if now is None else now
    settings = config.settings()
    counts = count(records)
    if not counts:
        return []
    window = _current_window()
    in_window = window.add(counts, now)
    reports = []
    for scope, found, threshold in (("batch", over(counts, settings.trending_batch), settings.trending_batch),
                                    ("window", over(in_window, settings.trending_window), settings.trending_window)):
        for key, n in sorted(found.items()):
            if window.first_time(scope, key, now):
                petition, kind, value = key
                reports.append({"petition_id": petition, "kind": kind, "key": value, "count": n, "scope": scope,
                                "threshold": threshold[kind], "window_seconds": settings.trending_window_seconds})
    return reports


def observe(records: list, now: float | None = None) -> list[dict]:
    """Detect and report (a log line and an EMF metric per report); never raises into the tally."""
    try:
        reports = detect(records, now)
    except Exception as exc:  # detection must never cost the tally a batch
        log.warning("trending detection failed error=%s", type(exc).__name__)
        return []
    for report in reports:
        log.warning("trending %s", json.dumps(report, sort_keys=True))
        metrics.emit(METRIC, 1, {"petition_id": report["petition_id"], "kind": report["kind"],
                                 "scope": report["scope"]})
    return reports


def reset() -> None:
    """Forget the rolling window (tests)."""
    _window.clear()
