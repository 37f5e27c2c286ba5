"""Local stand-in for Lambda's DynamoDB event source mapping (dev only, never deployed).

``chalice local`` serves routes but runs no event sources, so on one machine
this process reads the signatures table's stream and calls the same handler
the deployment uses, the way Lambda would:

- every shard is polled about four times a second; records are gathered for
  up to MaximumBatchingWindowInSeconds or until BatchSize, then handed over
  in exactly Lambda's event shape (a tumbling-window event, which names the
  shard);
- a returned ``batchItemFailures`` resumes from the lowest failed record; a
  raised error bisects the batch (BisectBatchOnFunctionError) or retries it;
  after MaximumRetryAttempts, or once records are older than
  MaximumRecordAgeInSeconds, the batch is skipped and its position written to
  a failure file, the local stand-in for the on-failure queue;
- a parent shard is drained before its children; new shards are found by
  DescribeStream as they appear;
- the last processed sequence number per shard is checkpointed to a file,
  atomically and only after the handler succeeded, so a restart resumes where
  it stopped (a killed runner may redeliver a batch; the handler is
  idempotent).

Settings come from ``tools.stream_settings``, as the deployment's do. Each
shard is processed serially (ParallelizationFactor 1); one line is logged
per batch, never an image. Not emulated, because this handler does not need
them: the extra empty invocation at a tumbling window's end
(``isFinalInvokeForWindow``), the 6 MB payload limit (a batch of signatures
is far smaller) and the function timeout.

    python -m tools.stream_runner            # table and endpoint from the environment
"""
from __future__ import annotations

import argparse
import base64
import json
import logging
import math
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

log = logging.getLogger("stream_runner")  # not under the app's logger, which has its own handler

POLL_SECONDS = 0.25  # Lambda polls each shard about four times a second
DISCOVER_SECONDS = 5.0
GET_RECORDS_LIMIT = 1000  # the most one GetRecords call returns
MAX_BACKOFF_SECONDS = 5.0
FUNCTION_TIMEOUT_MS = 60_000

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


def backoff_seconds(attempts: int) -> float:
    return 0.0 if attempts <= 0 else min(MAX_BACKOFF_SECONDS, 0.1 * 2 ** (attempts - 1))


# ---- pure: Lambda's event shape ---------------------------------------------

def _epoch(moment) -> float | int:
    if isinstance(moment, datetime):
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    return int(moment) if float(moment).is_integer() else moment


def _jsonable(value):
    """Binary attribute values as Lambda sends them: base64 text, not bytes."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def lambda_record(raw: dict, stream_arn: str) -> dict:
    """One GetRecords record in the shape Lambda gives a function."""
    images = dict(raw["dynamodb"])
    if "ApproximateCreationDateTime" in images:
        images["ApproximateCreationDateTime"] = _epoch(images["ApproximateCreationDateTime"])
    record = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": raw.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": raw.get("awsRegion"),
        "dynamodb": _jsonable(images),
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in raw:  # TTL deletions say who removed the item
        record["userIdentity"] = raw["userIdentity"]
    return record


def window_of(now: float, seconds: int) -> tuple[str, str]:
    """The tumbling window containing ``now``, as Lambda writes it."""
    start = math.floor(now / seconds) * seconds

    def iso(t):
        return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    return iso(start), iso(start + seconds)


def lambda_event(records: list[dict], shard_id: str, stream_arn: str, settings: dict,
                 now: float, state: dict | None = None) -> dict:
    """The event Lambda sends for a batch of ``records`` (already in Lambda's record shape).

    With a tumbling window Lambda adds the shard, the window and the state
    the function returned last time in this window.
    """
    event = {"Records": records}
    window = settings.get("TumblingWindowInSeconds") or 0
    if window > 0:
        start, end = window_of(now, window)
        event.update({
            "shardId": shard_id,
            "eventSourceARN": stream_arn,
            "window": {"start": start, "end": end},
            "state": state or {},
            "isFinalInvokeForWindow": False,
            "isWindowTerminatedEarly": False,
        })
    return event


def short_shard(shard_id: str) -> str:
    return shard_id[-8:]


# ---- durable state ------------------------------------------------------------

def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` so that a crash leaves the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class Checkpoints:
    """Per stream and shard: the last sequence number processed, and whether the shard is finished."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = threading.Lock()
        try:
            self.data = json.loads(self.path.read_text())
        except FileNotFoundError:
            self.data = {}

    def _shard(self, stream_arn: str, shard_id: str) -> dict:
        return self.data.setdefault(stream_arn, {}).setdefault(shard_id, {})

    def position(self, stream_arn: str, shard_id: str) -> str | None:
        return self.data.get(stream_arn, {}).get(shard_id, {}).get("sequence")

    def finished(self, stream_arn: str) -> set[str]:
        return {shard for shard, state in self.data.get(stream_arn, {}).items() if state.get("finished")}

    def advance(self, stream_arn: str, shard_id: str, sequence: str) -> None:
        with self.lock:
            self._shard(stream_arn, shard_id)["sequence"] = sequence
            self._save()

    def finish(self, stream_arn: str, shard_id: str) -> None:
        with self.lock:
            self._shard(stream_arn, shard_id)["finished"] = True
            self._save()

    def keep_only(self, stream_arn: str, shard_ids: set[str]) -> None:
        """Forget other streams (a recreated table) and shards no longer listed (trimmed)."""
        with self.lock:
            shards = self.data.get(stream_arn, {})
            kept = {shard: state for shard, state in shards.items() if shard in shard_ids}
            if set(self.data) != {stream_arn} or kept != shards:
                self.data = {stream_arn: kept}
                self._save()

    def _save(self) -> None:
        write_atomically(self.path, json.dumps(self.data, indent=1, sort_keys=True))


class FailureLog:
    """Append-only JSON lines: where skipped batches were, in the shape Lambda sends to an on-failure queue."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def write(self, stream_arn: str, shard_id: str, batch: list[dict], reason: str, attempts: int) -> None:
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        entry = {
            "requestContext": {"condition": reason, "approximateInvokeCount": attempts,
                               "functionArn": "local:on_signature_change"},
            "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime")),
                "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime")),
                "batchSize": len(batch),
                "streamArn": stream_arn,
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())


def _iso(moment) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(_epoch(moment), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the polling machinery ---------------------------------------------------

class LocalContext:
    """The parts of Lambda's context object a handler may use."""

    function_name = "on_signature_change"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    log_group_name = "local"
    log_stream_name = "stream-runner"

    def __init__(self):
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = "local:on_signature_change"
        self._deadline = time.monotonic() + FUNCTION_TIMEOUT_MS / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""


@dataclass
class ShardReader:
    """Reads one shard, batches its records and hands them to the handler."""

    runner: "StreamRunner"
    shard_id: str
    from_start: bool = True  # TRIM_HORIZON when there is no checkpoint (else LATEST)
    iterator: str | None = None
    buffer: list = field(default_factory=list)  # raw records read but not yet processed
    closed: bool = False  # the shard has ended and every record has been read
    finished: bool = False
    first_buffered_at: float | None = None
    next_poll_at: float = 0.0
    retry_at: float = 0.0
    attempts: int = 0
    plan: tuple = ()
    state: dict = field(default_factory=dict)
    state_window: str | None = None

    @property
    def arn(self) -> str:
        return self.runner.stream_arn

    def acquire(self) -> None:
        """A fresh iterator just after the last record read or processed."""
        streams = self.runner.streams
        after = self.buffer[-1]["dynamodb"]["SequenceNumber"] if self.buffer else \
            self.runner.checkpoints.position(self.arn, self.shard_id)
        try:
            if after:
                reply = streams.get_shard_iterator(StreamArn=self.arn, ShardId=self.shard_id,
                                                   ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
            else:
                reply = streams.get_shard_iterator(StreamArn=self.arn, ShardId=self.shard_id,
                                                   ShardIteratorType="TRIM_HORIZON" if self.from_start else "LATEST")
        except Exception as exc:
            code = _error_code(exc)
            if code == "TrimmedDataAccessException":
                # The checkpoint is older than the stream's 24-hour retention.
                log.warning("shard=%s checkpoint is past retention; reading from the oldest record",
                            short_shard(self.shard_id))
                self.buffer.clear()
                self.plan, self.attempts = (), 0
                reply = streams.get_shard_iterator(StreamArn=self.arn, ShardId=self.shard_id,
                                                   ShardIteratorType="TRIM_HORIZON")
            elif code == "ResourceNotFoundException":
                log.warning("shard=%s is gone", short_shard(self.shard_id))
                self.closed, self.buffer = True, []
                return
            else:
                raise
        self.iterator = reply.get("ShardIterator")
        if self.iterator is None:
            self.closed = True

    def poll(self, now: float) -> None:
        self.next_poll_at = now + POLL_SECONDS
        if self.iterator is None:
            self.acquire()
            if self.iterator is None:
                return
        try:
            reply = self.runner.streams.get_records(ShardIterator=self.iterator, Limit=GET_RECORDS_LIMIT)
        except Exception as exc:
            if _error_code(exc) in ("ExpiredIteratorException", "TrimmedDataAccessException"):
                self.iterator = None  # iterators live 15 minutes; get another from where we are
                return
            raise
        records = reply.get("Records", [])
        if records and not self.buffer:
            self.first_buffered_at = now
        self.buffer.extend(records)
        self.iterator = reply.get("NextShardIterator")
        if self.iterator is None:
            self.closed = True

    def batch_due(self, now: float) -> bool:
        if not self.buffer or now < self.retry_at:
            return False
        window = self.runner.settings.get("MaximumBatchingWindowInSeconds") or 0
        return (len(self.buffer) >= self.runner.batch_size or self.closed or self.plan
                or now - (self.first_buffered_at or now) >= window)

    def tick(self, now: float) -> None:
        if self.finished:
            return
        if not self.closed and len(self.buffer) < self.runner.batch_size and now >= self.next_poll_at:
            self.poll(now)
        if self.batch_due(now):
            self.process(time.time())
        if self.closed and not self.buffer:
            self.runner.checkpoints.finish(self.arn, self.shard_id)
            self.finished = True
            log.info("shard=%s finished", short_shard(self.shard_id))

    def process(self, wall: float) -> None:
        runner = self.runner
        size = min(self.plan[0] if self.plan else runner.batch_size, len(self.buffer))
        plan = self.plan[1:] if self.plan else ()
        batch = self.buffer[:size]
        records = [lambda_record(raw, self.arn) for raw in batch]

        too_old = expired_prefix([r["dynamodb"].get("ApproximateCreationDateTime", wall) for r in records],
                                 wall, runner.settings.get("MaximumRecordAgeInSeconds"))
        if too_old:
            self._skip(records[:too_old], RECORD_TOO_OLD, self.attempts)
            del self.buffer[:too_old]
            self.plan, self.attempts, self.retry_at = (), 0, 0.0
            return

        window = self._window(wall)
        if window != self.state_window:
            self.state, self.state_window = {}, window
        event = lambda_event(records, self.shard_id, self.arn, runner.settings, wall, self.state)
        started = time.monotonic()
        error = None
        try:
            response = runner.handler(event, LocalContext())
            outcome = outcome_of(response, [r["dynamodb"]["SequenceNumber"] for r in records],
                                 runner.reports_item_failures)
            if isinstance(response, dict) and isinstance(response.get("state"), dict):
                self.state = response["state"]
        except Exception as exc:  # a function error, as Lambda sees it
            outcome, error = Outcome(ERROR), type(exc).__name__
        elapsed_ms = (time.monotonic() - started) * 1000

        step = decide(size, outcome, self.attempts, plan, runner.settings)
        failures = 0 if outcome.kind == OK else (size - step.processed if outcome.kind == PARTIAL else size)
        log.info("batch shard=%s records=%d ms=%d failures=%d%s%s", short_shard(self.shard_id), size,
                 elapsed_ms, failures, f" error={error}" if error else "",
                 f" skipped={step.discarded} reason={step.reason}" if step.discarded else "")

        if step.discarded:
            self._skip(records[step.processed:step.processed + step.discarded], step.reason, self.attempts + 1)
        elif step.processed:
            runner.checkpoints.advance(self.arn, self.shard_id, records[step.processed - 1]["dynamodb"]["SequenceNumber"])
        del self.buffer[:step.processed + step.discarded]
        self.plan, self.attempts = step.plan, step.attempts
        self.retry_at = time.time() + backoff_seconds(step.attempts) if step.attempts else 0.0

    def _window(self, wall: float) -> str | None:
        seconds = self.runner.settings.get("TumblingWindowInSeconds") or 0
        return window_of(wall, seconds)[0] if seconds > 0 else None

    def _skip(self, records: list[dict], reason: str, attempts: int) -> None:
        """Give up on records: note where they were, then move past them."""
        self.runner.failures.write(self.arn, self.shard_id, records, reason, attempts)
        log.warning("skipped shard=%s records=%d first=%s last=%s reason=%s", short_shard(self.shard_id),
                    len(records), records[0]["dynamodb"]["SequenceNumber"],
                    records[-1]["dynamodb"]["SequenceNumber"], reason)
        self.runner.checkpoints.advance(self.arn, self.shard_id, records[-1]["dynamodb"]["SequenceNumber"])


class StreamRunner:
    """Finds the table's stream and its shards, and keeps a reader on every ready shard."""

    def __init__(self, table_name: str, dynamodb, streams, handler: Callable, checkpoints: Checkpoints,
                 failures: FailureLog, settings: dict):
        self.table_name = table_name
        self.dynamodb = dynamodb
        self.streams = streams
        self.handler = handler
        self.checkpoints = checkpoints
        self.failures = failures
        self.settings = settings
        self.batch_size = int(settings.get("BatchSize") or 100)
        self.reports_item_failures = "ReportBatchItemFailures" in (settings.get("FunctionResponseTypes") or [])
        self.stream_arn: str | None = None
        self.readers: dict[str, ShardReader] = {}
        self.next_discovery = 0.0
        self.stopping = threading.Event()
        self._waiting_logged = False
        if int(settings.get("ParallelizationFactor") or 1) != 1:
            log.warning("ParallelizationFactor %s: the local runner processes each shard serially",
                        settings["ParallelizationFactor"])

    def discover(self) -> None:
        """Follow the table's current stream and start readers on shards whose parents are done."""
        self.next_discovery = time.monotonic() + DISCOVER_SECONDS
        try:
            table = self.dynamodb.describe_table(TableName=self.table_name)["Table"]
        except Exception as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise
            table = {}
        arn = table.get("LatestStreamArn")
        if arn is None:
            if not self._waiting_logged:
                log.info("waiting for table %s and its stream", self.table_name)
                self._waiting_logged = True
            return
        if arn != self.stream_arn:
            self.stream_arn, self.readers = arn, {}
            log.info("following stream %s", arn)
        shards = self.describe_shards()
        self.checkpoints.keep_only(arn, {s["ShardId"] for s in shards})
        finished = self.checkpoints.finished(arn)
        listed = {s["ShardId"] for s in shards}
        with_parent_listed = {s["ShardId"] for s in shards if s.get("ParentShardId") in listed}
        for shard_id in ready_shards(shards, finished):
            if shard_id not in self.readers:
                # Children of a shard we read start at their beginning whatever StartingPosition says.
                from_start = self.settings.get("StartingPosition") != "LATEST" or shard_id in with_parent_listed
                self.readers[shard_id] = ShardReader(self, shard_id, from_start=from_start)

    def describe_shards(self) -> list[dict]:
        shards, start = [], None
        while True:
            args = {"StreamArn": self.stream_arn}
            if start:
                args["ExclusiveStartShardId"] = start
            description = self.streams.describe_stream(**args)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            start = description.get("LastEvaluatedShardId")
            if not start:
                return shards

    def tick(self) -> None:
        if time.monotonic() >= self.next_discovery:
            self.discover()
        for shard_id, reader in list(self.readers.items()):
            reader.tick(time.time())
            if reader.finished:
                del self.readers[shard_id]
                self.next_discovery = 0.0  # its children may be ready now

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.tick()
            except Exception as exc:  # the engine restarting, say: keep the runner alive
                log.warning("stream poll failed: %s %s", type(exc).__name__, _error_code(exc))
                for reader in self.readers.values():
                    reader.iterator = None
                self.stopping.wait(1.0)
                continue
            self.stopping.wait(0.05)

    def stop(self, *_args) -> None:
        self.stopping.set()


# ---- wiring --------------------------------------------------------------------

def app_handler() -> Callable:
    """The deployed stream handler itself (Chalice's handler object takes a raw Lambda event)."""
    from app import on_signature_change  # imported late: the environment must be set first

    return on_signature_change


def build_runner(state_dir: Path, handler: Callable | None = None) -> StreamRunner:
    from chalicelib import aws, config
    from tools.stream_settings import stream_settings

    s = config.settings()
    return StreamRunner(
        table_name=s.signatures_table,
        dynamodb=aws.dynamodb(),
        streams=aws.dynamodb_streams(),
        handler=handler or app_handler(),
        checkpoints=Checkpoints(state_dir / "stream-checkpoints.json"),
        failures=FailureLog(state_dir / "stream-failures.jsonl"),
        settings=stream_settings(),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stream_runner", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".local"),
                        help="where checkpoints and the failure file live (default .local)")
    parser.add_argument("--verbose", action="store_true", help="also show the handler's own log lines")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    runner = build_runner(args.state_dir)
    if not args.verbose:
        # The handler logs its own line per batch too; one line per batch is enough here.
        logging.getLogger("chalicelib").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, runner.stop)
    log.info("stream runner started for table %s", runner.table_name)
    try:
        runner.run()
    except KeyboardInterrupt:
        pass
    log.info("stream runner stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
