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

Settings come from ``tools.stream_settings``, as the deployment's do (a
ParallelizationFactor other than 1 is refused there, as at deploy). Each shard
is processed serially; one line is logged per batch, never an image. Not
emulated, as these handlers do not need them: the empty invocation at a
tumbling window's end, the 6 MB payload limit and the function timeout.

This module is the polling loop; its rules are in ``tools.delivery_rules``,
its events in ``tools.lambda_events``, its files in ``tools.runner_state`` and
the readers it can drive in ``tools.stream_consumers``.

    python -m tools.stream_runner                     # the tally; table and endpoint from the environment
    python -m tools.stream_runner --consumer mailer   # the mailer: a reader of its own, as in AWS
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tools.delivery_rules import (
    ERROR,
    OK,
    PARTIAL,
    RECORD_TOO_OLD,
    Outcome,
    backoff_seconds,
    decide,
    expired_prefix,
    outcome_of,
    passes_filters,
    ready_shards,
)
from tools.lambda_events import lambda_event, lambda_record, window_of
from tools.runner_state import Checkpoints, FailureLog
from tools.stream_consumers import CONSUMERS, app_handler, setting
from tools.stream_settings import check

log = logging.getLogger("stream_runner")  # not under the app's logger, which has its own handler

POLL_SECONDS = 0.25  # Lambda polls each shard about four times a second
DISCOVER_SECONDS = 5.0
GET_RECORDS_LIMIT = 1000  # the most one GetRecords call returns
FUNCTION_TIMEOUT_MS = 60_000


# ---- the polling machinery ---------------------------------------------------

class LocalContext:
    """The parts of Lambda's context object a handler may use."""

    function_version = "$LATEST"
    memory_limit_in_mb = 128
    log_group_name = "local"
    log_stream_name = "stream-runner"

    def __init__(self, function_name: str = "on_signature_change"):
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"local:{function_name}"
        self._deadline = time.monotonic() + FUNCTION_TIMEOUT_MS / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def short_shard(shard_id: str) -> str:
    return shard_id[-8:]


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""


@dataclass
class ShardReader:
    """Reads one shard, batches its records and hands them to the handler."""

    runner: StreamRunner
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
        arn = self.runner.stream_arn
        assert arn is not None, "a reader exists only once the stream is known"
        return arn

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
        # Lambda drops records that match none of the mapping's filters before batching.
        records = [r for r in reply.get("Records", []) if passes_filters(r, self.runner.filters)]
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
        return (len(self.buffer) >= self.runner.batch_size or self.closed or bool(self.plan)
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
            response = runner.handler(event, LocalContext(runner.function_name))
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
            self._skip(records[step.processed:step.processed + step.discarded], step.reason or "discarded",
                       self.attempts + 1)
        elif step.processed:
            last_done = records[step.processed - 1]["dynamodb"]["SequenceNumber"]
            runner.checkpoints.advance(self.arn, self.shard_id, last_done)
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
                 failures: FailureLog, settings: dict, filters: list[dict] | None = None,
                 function_name: str = "on_signature_change"):
        self.table_name = table_name
        self.filters = filters or []
        self.function_name = function_name
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
        check(settings)  # as Lambda would run them, these settings would miscount: refuse to start

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

def build_runner(state_dir: Path, handler: Callable | None = None, consumer: str = "tally",
                 overrides: dict | None = None) -> StreamRunner:
    from chalicelib.aws import clients, config
    from tools.stream_settings import filter_patterns, stream_settings

    s = config.settings()
    spec = CONSUMERS[consumer]
    return StreamRunner(
        table_name=s.signatures_table,
        dynamodb=clients.dynamodb(),
        streams=clients.dynamodb_streams(),
        handler=handler or app_handler(consumer),
        checkpoints=Checkpoints(state_dir / f"{spec.files}-checkpoints.json"),
        failures=FailureLog(state_dir / f"{spec.files}-failures.jsonl", function=spec.handler),
        settings={**stream_settings(spec.function), **(overrides or {})},
        filters=filter_patterns(spec.function),
        function_name=spec.handler,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stream_runner", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, default=Path(".local"),
                        help="where checkpoints and the failure file live (default .local)")
    parser.add_argument("--verbose", action="store_true", help="also show the handler's own log lines")
    parser.add_argument("--consumer", choices=sorted(CONSUMERS), default="tally",
                        help="which deployed stream function to drive (default: the tally)")
    parser.add_argument("--set", type=setting, action="append", default=[], metavar="KEY=VALUE",
                        help="use another value than infra/resources.json for a setting (to measure a "
                             "baseline; never what is deployed)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    runner = build_runner(args.state_dir, consumer=args.consumer, overrides=dict(args.set))
    if not args.verbose:
        # The handler logs its own line per batch too; one line per batch is enough here.
        logging.getLogger("chalicelib").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, runner.stop)
    log.info("stream runner (%s) started for table %s", args.consumer, runner.table_name)
    try:
        runner.run()
    except KeyboardInterrupt:
        pass
    log.info("stream runner stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
