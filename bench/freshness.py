"""6. Freshness: from a signature's 202 to its appearance in /totals, on the local stack.

Signatures are posted over HTTP at a steady rate while a watcher polls the
petition's /totals; a signature is visible at the first poll after its 202
whose total includes it (the /totals round trip is the resolution). Baseline:
the same run with the batching window deployed before (1 s). Also here,
benchmark 10: counter writes per 1,000 records when a burst of signatures
arrives, with either batching window.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.measure import clock, median, percentile
from bench.population import Population, signer
from bench.report import Section, count, ratio
from tools.stream_settings import stream_settings

WATCH_SECONDS = 0.01
TIMEOUT_SECONDS = 60


# The batching window deployed before it was set to 0: the baseline these runs compare with.
BASELINE = ("--set", "MaximumBatchingWindowInSeconds=1")
TALLY_LINE = re.compile(r"tally batch shard=\S+ records=(\d+) petitions=\d+ writes=(\d+)")


@contextmanager
def local_stack(runner_args: tuple[str, ...] = ()):
    """What `make run` starts, with its data in memory; yields the stack (its petition is "demo").

    The stream runner logs the tally's line per batch (``--verbose``), so the
    counter writes can be counted; ``runner_args`` may override a setting.
    """
    from tools.devstack import DevStack

    state = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    try:
        with DevStack(state_dir=state, persist=False, runner_args=["--verbose", *runner_args]) as stack:
            yield stack
    finally:
        shutil.rmtree(state, ignore_errors=True)


def counter_writes(stack, records_at_least: int = 0) -> tuple[int, int]:
    """(counter writes, records) the tally reported, from the stream runner's log.

    The tally logs a batch just after its writes, so a total seen in /totals
    may be a moment ahead of the log: wait until it covers ``records_at_least``.
    """
    deadline = clock() + 10
    while True:
        writes = records = 0
        log = stack.state_dir / "logs" / "stream-runner.log"
        for match in TALLY_LINE.finditer(log.read_text() if log.exists() else ""):
            records += int(match.group(1))
            writes += int(match.group(2))
        if records >= records_at_least or clock() > deadline:
            return writes, records
        time.sleep(0.05)


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


@dataclass
class Run:
    delays: list[float]
    round_trip: float
    polls: int
    sending_s: float
    writes: int
    records: int

    def percentiles(self) -> tuple[float, float, float]:
        return percentile(self.delays, 50), percentile(self.delays, 95), percentile(self.delays, 99)


def measure(n: int, rate: float, runner_args: tuple[str, ...] = ()) -> Run:
    """Post ``n`` signatures at ``rate`` per second; when did each show in /totals?"""
    with local_stack(runner_args) as stack:
        base_url, petition_id = stack.base_url, "demo"
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
        writes, records = counter_writes(stack, n)
    seen = watcher.seen
    if not seen or seen[-1][1] < before + n:
        raise RuntimeError(f"only {seen[-1][1] - before if seen else 0} of {n} signatures reached /totals")
    delays, j = [], 0
    for i, at in enumerate(accepted_at):  # signatures are sent one at a time, so the i-th 202 is the i-th counted
        while j < len(seen) and (seen[j][0] < at or seen[j][1] < before + i + 1):
            j += 1
        delays.append(seen[j][0] - at)
    return Run(delays, median([rt for _, _, rt in seen]), len(seen), sending_s, writes, records)


def _ms(values: tuple[float, float, float]) -> str:
    return ", ".join(f"p{p} {v * 1000:,.0f} ms" for p, v in zip((50, 95, 99), values, strict=True))


def run(n: int = 500, rate: float = 20.0) -> Section:
    section = Section(6, "Freshness")
    baseline = measure(n, rate, BASELINE)
    ours = measure(n, rate)
    p50, p95, p99 = ours.percentiles()
    b50, b95, b99 = baseline.percentiles()
    window = stream_settings()["MaximumBatchingWindowInSeconds"]
    section.row(f"Freshness: 202 to visible in /totals ({n} signatures at {rate:g}/s)", _ms((p50, p95, p99)),
                f"{_ms((b50, b95, b99))} (batching window 1 s, as before)", ratio(p95, b95) + " at p95")
    section.row(f"Freshness: counter writes per 1,000 records at {rate:g}/s",
                f"{count(ours.writes * 1000 / ours.records)}",
                f"{count(baseline.writes * 1000 / baseline.records)} (batching window 1 s)",
                ratio(ours.writes / ours.records, baseline.writes / baseline.records))
    section.notes += [
        "- On the local stack `make run` starts (DynamoDB Local, the stream runner, `chalice local`), data in "
        f"memory. {n} JSON signatures posted one at a time at {rate:g} per second "
        f"(sent in {ours.sending_s:.1f} s); a watcher polled /totals every {WATCH_SECONDS * 1000:.0f} ms "
        f"({ours.polls:,} polls, median round trip {ours.round_trip * 1000:.1f} ms, the resolution of these "
        "figures). The baseline is the same run with the runner's batching window set to 1 s, the setting "
        "deployed before (`--set MaximumBatchingWindowInSeconds=1`), measured first in the same run.",
        "- The delay is mostly the event source's own pacing, which the local stream runner copies from the "
        "deployment: shards polled about four times a second, records gathered for up to the batching window "
        f"({window} s in infra/resources.json: a batch goes as soon as a poll finds records), plus the API "
        "container's cache of a petition's totals (TOTALS_CACHE_SECONDS, 0.25 s). Browsers and shared caches "
        "may also hold a /totals reply for up to its Cache-Control max-age, which these polls bypass.",
        "- Counter writes are the tally's own count (its log line per batch). At this trickle a batch is what one "
        "poll finds, so the writes follow the poll rate: at most four a second per shard and petition, each "
        "of one shard's small item. Under load batches fill on their own: see benchmark 10.",
    ]
    section.headline = (f"Freshness on the local stack: a signature shows in /totals {p50:.2f} s after its 202 "
                        f"at p50, {p95:.2f} s at p95, {p99:.2f} s at p99 (batching window 1 s: {b95:.2f} s "
                        "at p95).")
    section.data = {"p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "p99_ms": p99 * 1000,
                    "baseline_p95_ms": b95 * 1000}
    return section


def _write_burst(stack, n: int, threads: int = 4) -> float:
    """Store ``n`` confirmed signatures straight into the table, as fast as it takes them; return seconds."""
    client = stack.client()
    table = stack.tables["SIGNATURES_TABLE"]
    drawn = next(Population(n, seed=10).countries(batch=n))
    run_id = f"{int(time.time())}"

    def write(start: int) -> None:
        for chunk in range(start, n, 25 * threads):
            items = [{"PutRequest": {"Item": {
                "signature_key": {"S": f"demo#load-{run_id}-{i:07d}"}, "petition_id": {"S": "demo"},
                "country": {"S": drawn[i]}, "status": {"S": "confirmed"}, "name": {"S": "Load Test"},
                "created_at": {"S": "2026-11-27T00:00:00Z"}}}} for i in range(chunk, min(chunk + 25, n))]
            pending: dict | None = {table: items}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None

    started = clock()
    workers = [threading.Thread(target=write, args=(t * 25,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return clock() - started


def burst(n: int, runner_args: tuple[str, ...] = (), backlog: bool = False) -> tuple[int, int, float]:
    """(counter writes, records, seconds to write them) for ``n`` signatures through the runner.

    ``backlog``: written while the runner is stopped, then read in one go (a
    runner catching up after a pause, a slow batch or a burst beyond its polls).
    """
    with local_stack(runner_args) as stack:
        before = _total(stack.base_url, "demo")
        if backlog:
            stack.stop_runner()
        seconds = _write_burst(stack, n)
        if backlog:
            stack.start_runner()
        deadline = clock() + TIMEOUT_SECONDS
        while _total(stack.base_url, "demo") < before + n:
            if clock() > deadline:
                raise RuntimeError("the signatures never reached /totals")
            time.sleep(0.1)
        writes, records = counter_writes(stack, n)
    return writes, records, seconds


def run_load(n: int = 20_000) -> Section:
    section = Section(10, "Batching under load")
    rates = {}
    for backlog in (True, False):
        b_writes, b_records, b_seconds = burst(n, BASELINE, backlog)
        writes, records, seconds = burst(n, backlog=backlog)
        ours, base = writes * 1000 / records, b_writes * 1000 / b_records
        rates[backlog] = (n / seconds, n / b_seconds)
        what = (f"a backlog of {n:,} signatures" if backlog
                else f"{n:,} signatures arriving at {n / seconds:,.0f}/s")
        section.row(f"Counter writes per 1,000 records, {what}", count(round(ours, 2)),
                    f"{count(round(base, 2))} (batching window 1 s)", ratio(ours, base))
        section.data["backlog" if backlog else "arriving"] = {"writes_per_1000": ours,
                                                               "baseline_writes_per_1000": base}
    section.notes += [
        f"- {n:,} confirmed signatures written straight into the signatures table of the local stack by four "
        "threads with BatchWriteItem, while the stream runner and the deployed handler count them; writes and "
        "records from the tally's log line per batch. Backlog: written while the runner is stopped, then "
        "counted when it starts (as when records arrive faster than the polls drain them, or wait behind a "
        "slow batch). Arriving: written while the runner runs, as fast as DynamoDB Local takes them here "
        f"({rates[False][0]:,.0f} per second; {rates[False][1]:,.0f} in the baseline's run). Baseline: the "
        "same with the batching window at 1 s, the setting deployed before, run first.",
        "- With no batching window a batch is what the shard holds when it is polled (about four times a "
        "second), up to BatchSize (1,000). Under load, when records wait, every batch is full with either "
        "setting. Below about 4,000 records a second per shard, batches hold about a quarter of a second's "
        "records instead of a second's: more counter writes per 1,000 records, but never more than about "
        "four a second per shard and petition, each on that shard's item of at most 3 KB.",
    ]
    return section
