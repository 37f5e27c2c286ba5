"""The local stream runner's pure rules: which shards to read, and what a handler's answer means.

Plain functions over plain data, as Lambda's DynamoDB event source mapping
behaves: a parent shard before its children; ReportBatchItemFailures;
bisecting, retrying and skipping a failing batch; MaximumRecordAgeInSeconds.
The runner loop (``tools.stream_runner``) applies them.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_BACKOFF_SECONDS = 5.0

OK, PARTIAL, ERROR = "ok", "partial", "error"
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_TOO_OLD = "RecordAgeExceeded"


# ---- pure: shard lineage -----------------------------------------------------

def ready_shards(shards: list[dict], finished: set[str]) -> list[str]:
    """Shards that may be read now, in DescribeStream order.

    A shard is ready when it is not finished and its parent is finished, or
    has no parent, or its parent is no longer listed (trimmed after 24 hours:
    nothing left to read from it).
    """
    listed = {shard["ShardId"] for shard in shards}
    ready = []
    for shard in shards:
        shard_id = shard["ShardId"]
        if shard_id in finished:
            continue
        parent = shard.get("ParentShardId")
        if parent is None or parent in finished or parent not in listed:
            ready.append(shard_id)
    return ready


# ---- pure: what a handler's answer means, and what to do next --------------

@dataclass(frozen=True)
class Outcome:
    kind: str  # OK, PARTIAL or ERROR
    failed_at: int = 0  # PARTIAL: index of the lowest failed record in the batch


def outcome_of(response, sequences: list[str], reports_item_failures: bool) -> Outcome:
    """Read a handler's return value as Lambda does.

    Without ReportBatchItemFailures the value is ignored. With it, an absent
    or empty list is success, and an identifier that is missing or not in the
    batch fails the whole batch.
    """
    if not reports_item_failures or not isinstance(response, dict):
        return Outcome(OK)
    failures = response.get("batchItemFailures")
    if not failures:
        return Outcome(OK)
    index = {sequence: i for i, sequence in enumerate(sequences)}
    positions = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in index:
            return Outcome(ERROR)
        positions.append(index[identifier])
    return Outcome(PARTIAL, min(positions))


@dataclass(frozen=True)
class Step:
    processed: int  # leading records of the batch now done: checkpoint after them
    discarded: int = 0  # records after those that are given up on
    attempts: int = 0  # failed attempts so far of the record now at the head
    plan: tuple[int, ...] = ()  # sizes of the next batches (bisect halves, retries); empty: read normally
    reason: str | None = None  # why records were discarded


def decide(size: int, outcome: Outcome, attempts: int, plan: tuple[int, ...], settings: dict) -> Step:
    """After invoking a batch of ``size`` records, what to checkpoint, retry or skip.

    ``attempts`` counts earlier failures of the record at the batch's head;
    ``plan`` is the sizes still queued after this batch. Bisecting does not
    count as a retry (as in Lambda); a batch of one that fails is retried up
    to MaximumRetryAttempts (-1: forever), then skipped.
    """
    max_retries = settings.get("MaximumRetryAttempts", -1)

    def exhausted(failures: int) -> bool:
        return max_retries is not None and max_retries >= 0 and failures > max_retries

    if outcome.kind == OK:
        return Step(size, attempts=0, plan=plan)
    if outcome.kind == PARTIAL:
        done = outcome.failed_at
        failures = attempts + 1 if done == 0 else 1
        rest = size - done
        if exhausted(failures):
            return Step(done, discarded=rest, plan=plan, reason=RETRIES_EXHAUSTED)
        return Step(done, attempts=failures, plan=(rest, *plan))
    if settings.get("BisectBatchOnFunctionError") and size > 1:
        half = (size + 1) // 2
        return Step(0, attempts=attempts, plan=(half, size - half, *plan))
    failures = attempts + 1
    if exhausted(failures):
        return Step(0, discarded=size, plan=plan, reason=RETRIES_EXHAUSTED)
    return Step(0, attempts=failures, plan=(size, *plan))


def expired_prefix(created: list[float], now: float, max_age: int | None) -> int:
    """How many leading records are older than MaximumRecordAgeInSeconds (-1: no limit)."""
    if max_age is None or max_age < 0:
        return 0
    count = 0
    for moment in created:
        if now - moment <= max_age:
            break
        count += 1
    return count


# ---- pure: event filtering -------------------------------------------------------

def matches(record: dict, pattern: dict) -> bool:
    """Does a record match one Lambda event filter pattern?

    The subset this project uses: nested keys, and a list of exact values at
    a leaf. Any other operator (prefix, exists, numeric, anything-but) is
    refused rather than guessed at.
    """
    for key, wanted in pattern.items():
        value = record.get(key) if isinstance(record, dict) else None
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not matches(value, wanted):
                return False
        elif isinstance(wanted, list):
            if any(isinstance(w, dict) for w in wanted):
                raise NotImplementedError(f"filter operator {wanted!r} is not emulated locally")
            if value not in wanted:
                return False
        else:
            raise ValueError(f"a filter pattern's leaf must be a list, not {wanted!r}")
    return True


def passes_filters(record: dict, patterns: list[dict]) -> bool:
    """Lambda delivers a record that matches any pattern, and every record when there are none."""
    return not patterns or any(matches(record, pattern) for pattern in patterns)


def backoff_seconds(attempts: int) -> float:
    return 0.0 if attempts <= 0 else min(MAX_BACKOFF_SECONDS, 0.1 * 2 ** (attempts - 1))
