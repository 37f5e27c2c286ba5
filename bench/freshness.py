"""6. Freshness: from a signature's 202 to its appearance in /totals, on the local stack.

Signatures are posted over HTTP at a steady rate while a watcher polls the
petition's /totals; a signature is visible at the first poll after its 202
whose total includes it. Baseline: the /totals round trip itself, measured by
the same watcher in the same run (the resolution of the measurement).
"""
from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tools.stream_settings import stream_settings

from .measure import clock, median, percentile
from .population import Population, signer
from .report import Section, ratio

WATCH_SECONDS = 0.01
TIMEOUT_SECONDS = 60


@contextmanager
def local_stack():
    """What `make run` starts, with its data in memory; yields (base_url, petition id)."""
    from tools.devstack import DevStack

    state = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    try:
        with DevStack(state_dir=state, persist=False) as stack:
            yield stack.base_url, "demo"
    finally:
        shutil.rmtree(state, ignore_errors=True)


def _total(base_url: str, petition_id: str) -> int:
    with urllib.request.urlopen(f"{base_url}/petitions/{petition_id}/totals", timeout=10) as reply:
        return json.loads(reply.read())["total"]


def _post(base_url: str, petition_id: str, body: dict) -> int:
    request = urllib.request.Request(f"{base_url}/petitions/{petition_id}/signatures",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.status


class Watcher(threading.Thread):
    """Polls /totals; keeps (time the reply arrived, total, round trip)."""

    def __init__(self, base_url: str, petition_id: str):
        super().__init__(daemon=True)
        self.base_url, self.petition_id = base_url, petition_id
        self.seen: list[tuple[float, int, float]] = []
        self.target: int | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        deadline = None
        while not self.stopping.is_set():
            start = clock()
            total = _total(self.base_url, self.petition_id)
            end = clock()
            self.seen.append((end, total, end - start))
            if self.target is not None:
                deadline = deadline or end + TIMEOUT_SECONDS
                if total >= self.target or end > deadline:
                    return
            time.sleep(WATCH_SECONDS)


def run(n: int = 500, rate: float = 20.0) -> Section:
    section = Section(6, "Freshness")
    with local_stack() as (base_url, petition_id):
        before = _total(base_url, petition_id)
        drawn = next(Population(n, seed=6).countries(batch=n))
        watcher = Watcher(base_url, petition_id)
        watcher.start()
        accepted_at = []
        started = clock()
        for i, country in enumerate(drawn):
            delay = started + i / rate - clock()
            if delay > 0:
                time.sleep(delay)
            if _post(base_url, petition_id, signer(i, country, f"fresh{int(time.time())}-")) != 202:
                raise RuntimeError("a signature was not accepted")
            accepted_at.append(clock())
        sending_s = clock() - started
        watcher.target = before + n
        watcher.join(TIMEOUT_SECONDS + 10)
        watcher.stopping.set()
    seen = watcher.seen
    if not seen or seen[-1][1] < before + n:
        raise RuntimeError(f"only {seen[-1][1] - before if seen else 0} of {n} signatures reached /totals")
    delays, j = [], 0
    for i, at in enumerate(accepted_at):  # signatures are sent one at a time, so the i-th 202 is the i-th counted
        while j < len(seen) and (seen[j][0] < at or seen[j][1] < before + i + 1):
            j += 1
        delays.append(seen[j][0] - at)
    round_trip = median([rt for _, _, rt in seen])
    p50, p95, p99 = (percentile(delays, p) for p in (50, 95, 99))
    section.row(f"Freshness: 202 to visible in /totals ({n} signatures at {rate:g}/s)",
                f"p50 {p50 * 1000:,.0f} ms, p95 {p95 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms",
                f"{round_trip * 1000:.1f} ms (/totals round trip)", ratio(p50, round_trip, 0) + " at p50")
    section.notes += [
        "- On the local stack `make run` starts (DynamoDB Local, the stream runner, `chalice local`), data in "
        f"memory. {n} JSON signatures posted one at a time at {rate:g} per second "
        f"(sent in {sending_s:.1f} s); a watcher polled /totals every {WATCH_SECONDS * 1000:.0f} ms "
        f"({len(seen):,} polls, median round trip {round_trip * 1000:.1f} ms, the resolution of these figures).",
        "- The delay is mostly the event source's own pacing, which the local stream runner copies from the "
        "deployment: shards polled about four times a second, records gathered for up to the batching window "
        f"({stream_settings()['MaximumBatchingWindowInSeconds']} s in infra/resources.json). "
        "Browsers and shared caches may also hold a /totals reply for up to its Cache-Control max-age, "
        "which these polls bypass.",
    ]
    section.headline = (f"Freshness on the local stack: a signature shows in /totals {p50:.2f} s after its 202 "
                        f"at p50, {p95:.2f} s at p95, {p99:.2f} s at p99.")
    section.data = {"p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "p99_ms": p99 * 1000}
    return section
