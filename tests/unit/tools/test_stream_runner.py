"""The local stream runner's Lambda semantics, without AWS: lineage, batching, retries, checkpoints.

DynamoDB Local never splits a shard, so splits are exercised here with a
synthetic stream that answers DescribeStream, GetShardIterator and
GetRecords the way DynamoDB Streams does.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.fake_streams import ARN, FakeStreams, FakeTable, raw_record
from tools import stream_runner as sr
from tools.delivery_rules import (
    ERROR,
    OK,
    PARTIAL,
    RETRIES_EXHAUSTED,
    Outcome,
    Step,
    decide,
    expired_prefix,
    outcome_of,
    ready_shards,
)
from tools.lambda_events import lambda_event, lambda_record
from tools.runner_state import Checkpoints, FailureLog
from tools.stream_settings import KEYS, stream_settings

DEPLOYED = stream_settings()
FAST = {**DEPLOYED, "MaximumBatchingWindowInSeconds": 0, "MaximumRetryAttempts": 2}










class Recorder:
    """A handler that records what it was given and answers as told."""

    def __init__(self, answer=None):
        self.events: list[dict] = []
        self.answer = answer or (lambda event: {"batchItemFailures": []})

    def __call__(self, event, context):
        json.dumps(event)  # Lambda hands the function JSON: the event must be plain data
        self.events.append(event)
        return self.answer(event)

    def sequences(self, shard=None):
        return [int(r["dynamodb"]["SequenceNumber"]) for e in self.events
                if shard is None or e["shardId"] == shard for r in e["Records"]]


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(sr, "POLL_SECONDS", 0)
    monkeypatch.setattr(sr, "backoff_seconds", lambda attempts: 0.0)


def make_runner(tmp_path, streams, handler, settings=FAST) -> sr.StreamRunner:
    return sr.StreamRunner("sigs", FakeTable(), streams, handler, Checkpoints(tmp_path / "checkpoints.json"),
                           FailureLog(tmp_path / "failures.jsonl"), dict(settings))


def drain(runner: sr.StreamRunner, ticks: int = 200) -> None:
    for _ in range(ticks):
        runner.tick()


# ---- lineage -------------------------------------------------------------------

def test_only_shards_whose_parents_are_finished_are_ready():
    described = FakeStreams({
        "old": {"parent": "trimmed-long-ago", "records": [], "closed": True},
        "left": {"parent": "old", "records": []},
        "right": {"parent": "old", "records": []},
        "grandchild": {"parent": "left", "records": []},
    }).describe_stream(ARN)["StreamDescription"]["Shards"]

    assert ready_shards(described, finished=set()) == ["old"]
    assert ready_shards(described, finished={"old"}) == ["left", "right"]
    assert ready_shards(described, finished={"old", "left"}) == ["right", "grandchild"]


def test_runner_drains_a_split_parent_before_its_children(tmp_path):
    streams = FakeStreams({
        "parent": {"records": [raw_record(i) for i in (1, 2, 3)], "closed": True},
        "child-a": {"parent": "parent", "records": [raw_record(i) for i in (10, 11)]},
        "child-b": {"parent": "parent", "records": [raw_record(i) for i in (20, 21)]},
    })
    handler = Recorder()
    runner = make_runner(tmp_path, streams, handler)
    drain(runner)

    shards_in_order = [event["shardId"] for event in handler.events]
    assert shards_in_order[0] == "parent" and "parent" not in shards_in_order[1:]
    assert handler.sequences("child-a") == [10, 11] and handler.sequences("child-b") == [20, 21]
    saved = json.loads((tmp_path / "checkpoints.json").read_text())[ARN]
    assert saved["parent"] == {"sequence": "3".zfill(21), "finished": True}
    assert saved["child-a"] == {"sequence": "11".zfill(21)}


def test_new_shards_are_followed_as_they_appear(tmp_path):
    streams = FakeStreams({"first": {"records": [raw_record(1)]}})
    handler = Recorder()
    runner = make_runner(tmp_path, streams, handler)
    drain(runner, 5)
    streams.shards["first"]["closed"] = True
    streams.shards["second"] = {"parent": "first", "records": [raw_record(5)]}
    drain(runner, 5)
    assert handler.sequences() == [1, 5]


# ---- the event ---------------------------------------------------------------------

def test_events_have_lambdas_tumbling_window_shape(tmp_path):
    streams = FakeStreams({"shard-1": {"records": [raw_record(7)]}})
    handler = Recorder()
    drain(make_runner(tmp_path, streams, handler), 5)

    event, = handler.events
    assert set(event) == {"Records", "shardId", "eventSourceARN", "window", "state",
                          "isFinalInvokeForWindow", "isWindowTerminatedEarly"}
    assert event["shardId"] == "shard-1" and event["eventSourceARN"] == ARN and event["state"] == {}
    start = datetime.fromisoformat(event["window"]["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(event["window"]["end"].replace("Z", "+00:00"))
    assert end - start == timedelta(seconds=DEPLOYED["TumblingWindowInSeconds"])
    record, = event["Records"]
    assert set(record) == {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion",
                           "dynamodb", "eventSourceARN"}
    assert record["eventSource"] == "aws:dynamodb" and record["eventVersion"] == "1.1"
    assert record["eventSourceARN"] == ARN
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], (int, float))
    assert record["dynamodb"]["SequenceNumber"] == "7".zfill(21)


def test_binary_values_reach_the_handler_as_base64():
    raw = raw_record(1)
    raw["dynamodb"]["NewImage"]["blob"] = {"B": b"\x00\x01"}
    assert lambda_record(raw, ARN)["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}


def test_the_deployed_handler_accepts_the_runners_events(tables, petition):
    """The real handler, on moto tables, counts what the runner hands it, once."""
    from tools.stream_consumers import app_handler
    on_signature_change = app_handler("tally")
    from chalicelib.tally import totals

    records = [lambda_record(raw_record(i, country=c), ARN) for i, c in ((1, "GB"), (2, "FR"), (3, "GB"))]
    event = lambda_event(records, "shardId-1", ARN, DEPLOYED, now=1_800_000_000)
    assert on_signature_change(event, sr.LocalContext()) == {"batchItemFailures": [], "state": {}}
    on_signature_change(event, sr.LocalContext())  # a redelivery changes nothing
    assert totals.read("demo")["by_country"] == {"GB": 2, "FR": 1}


# ---- failures, bisect, retries, record age ---------------------------------------

def test_outcome_follows_lambdas_reading_of_batch_item_failures():
    seqs = ["1", "2", "3"]
    assert outcome_of({"batchItemFailures": []}, seqs, True) == Outcome(OK)
    assert outcome_of(None, seqs, True) == Outcome(OK)
    assert outcome_of({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}, seqs, True) \
        == Outcome(PARTIAL, 1)
    assert outcome_of({"batchItemFailures": [{"itemIdentifier": "9"}]}, seqs, True).kind == ERROR
    assert outcome_of({"batchItemFailures": [{"itemIdentifier": ""}]}, seqs, True).kind == ERROR
    assert outcome_of({"batchItemFailures": [{"itemIdentifier": "2"}]}, seqs, False) == Outcome(OK)


def test_decisions_after_each_kind_of_outcome():
    settings = {"MaximumRetryAttempts": 2, "BisectBatchOnFunctionError": True}
    assert decide(4, Outcome(OK), 0, (), settings) == Step(4)
    # a partial failure keeps what succeeded and retries from the failed record on
    assert decide(4, Outcome(PARTIAL, 1), 0, (), settings) == Step(1, attempts=1, plan=(3,))
    assert decide(3, Outcome(PARTIAL, 0), 1, (), settings) == Step(0, attempts=2, plan=(3,))
    assert decide(3, Outcome(PARTIAL, 0), 2, (), settings) == \
        Step(0, discarded=3, reason=RETRIES_EXHAUSTED)
    # an error bisects without counting as a retry, until one record is left
    assert decide(5, Outcome(ERROR), 0, (2,), settings) == Step(0, plan=(3, 2, 2))
    assert decide(1, Outcome(ERROR), 0, (2,), settings) == Step(0, attempts=1, plan=(1, 2))
    assert decide(1, Outcome(ERROR), 2, (2,), settings) == \
        Step(0, discarded=1, plan=(2,), reason=RETRIES_EXHAUSTED)
    # without bisect the whole batch is retried; -1 retries forever
    assert decide(5, Outcome(ERROR), 0, (), {"MaximumRetryAttempts": 2}) == Step(0, attempts=1, plan=(5,))
    assert decide(5, Outcome(ERROR), 99, (), {"MaximumRetryAttempts": -1}).discarded == 0


def test_records_older_than_the_maximum_age_are_skipped():
    assert expired_prefix([100, 150, 200], now=300, max_age=120) == 2
    assert expired_prefix([100], now=10_000, max_age=-1) == 0


def test_a_poison_record_is_isolated_by_bisect_skipped_and_reported(tmp_path):
    streams = FakeStreams({"shard-1": {"records": [raw_record(i) for i in range(1, 9)]}})

    def answer(event):
        if any(r["dynamodb"]["SequenceNumber"] == "5".zfill(21) for r in event["Records"]):
            raise ValueError("cannot read this record")
        return {"batchItemFailures": []}

    handler = Recorder(answer)
    runner = make_runner(tmp_path, streams, handler)
    drain(runner)

    succeeded = [int(r["dynamodb"]["SequenceNumber"]) for e in handler.events
                 if "5".zfill(21) not in [x["dynamodb"]["SequenceNumber"] for x in e["Records"]]
                 for r in e["Records"]]
    assert sorted(succeeded) == [1, 2, 3, 4, 6, 7, 8]  # each good record succeeded exactly once
    failure, = [json.loads(line) for line in (tmp_path / "failures.jsonl").read_text().splitlines()]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == FAST["MaximumRetryAttempts"] + 1
    info = failure["DDBStreamBatchInfo"]
    assert (info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == \
        ("shard-1", "5".zfill(21), "5".zfill(21), 1)
    assert "NewImage" not in json.dumps(failure)  # positions only, never personal data
    assert runner.checkpoints.position(ARN, "shard-1") == "8".zfill(21)


def test_partial_failure_redelivers_from_the_lowest_failed_record(tmp_path):
    streams = FakeStreams({"shard-1": {"records": [raw_record(i) for i in range(1, 6)]}})
    calls = []

    def answer(event):
        calls.append(len(calls))
        return {"batchItemFailures": [{"itemIdentifier": "3".zfill(21)}] if len(calls) == 1 else []}

    handler = Recorder(answer)
    drain(make_runner(tmp_path, streams, handler))
    assert [[int(r["dynamodb"]["SequenceNumber"]) for r in e["Records"]] for e in handler.events] == \
        [[1, 2, 3, 4, 5], [3, 4, 5]]


def test_old_records_go_to_the_failure_file_unprocessed(tmp_path):
    old = datetime.now(UTC) - timedelta(days=2)
    streams = FakeStreams({"shard-1": {"records": [raw_record(1, created=old), raw_record(2)]}})
    handler = Recorder()
    drain(make_runner(tmp_path, streams, handler))
    assert handler.sequences() == [2]
    failure = json.loads((tmp_path / "failures.jsonl").read_text())
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"


# ---- checkpoints and iterators -------------------------------------------------------

def test_a_restart_resumes_after_the_checkpoint(tmp_path):
    streams = FakeStreams({"shard-1": {"records": [raw_record(i) for i in (1, 2)]}})
    first = Recorder()
    drain(make_runner(tmp_path, streams, first), 5)
    streams.shards["shard-1"]["records"] += [raw_record(3)]

    second = Recorder()
    drain(make_runner(tmp_path, streams, second), 5)
    assert first.sequences() == [1, 2] and second.sequences() == [3]
    assert streams.iterator_requests[-1] == ("shard-1", "AFTER_SEQUENCE_NUMBER", "2".zfill(21))


def test_an_expired_iterator_is_replaced_without_losing_or_repeating_records(tmp_path):
    streams = FakeStreams({"shard-1": {"records": [raw_record(1)]}})
    handler = Recorder()
    runner = make_runner(tmp_path, streams, handler)
    drain(runner, 3)
    streams.expire_next = True
    streams.shards["shard-1"]["records"] += [raw_record(2)]
    drain(runner, 5)
    assert handler.sequences() == [1, 2]


def test_checkpoint_file_is_replaced_atomically(tmp_path):
    checkpoints = Checkpoints(tmp_path / "c.json")
    checkpoints.advance(ARN, "s", "5")
    checkpoints.finish(ARN, "s")
    assert Checkpoints(tmp_path / "c.json").finished(ARN) == {"s"}
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]  # no temporary left behind


def test_the_runner_reads_the_settings_the_deployment_declares():
    assert set(KEYS) <= set(DEPLOYED)
    assert DEPLOYED["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert DEPLOYED["TumblingWindowInSeconds"] > 0  # the handler needs shardId in its events


def test_the_runner_refuses_to_start_with_a_parallelization_factor_above_one(tmp_path):
    from tools.stream_settings import UnsafeStreamSettings

    handler = Recorder()
    with pytest.raises(UnsafeStreamSettings, match="ParallelizationFactor is 2"):
        make_runner(tmp_path, FakeStreams({"s": {"records": [raw_record(1)]}}), handler,
                    {**FAST, "ParallelizationFactor": 2})
    assert handler.events == []


def test_the_runner_passes_a_context_that_tells_the_time_left(tmp_path):
    contexts = []
    runner = make_runner(tmp_path, FakeStreams({"s": {"records": [raw_record(1)], "closed": True}}),
                         lambda event, context: contexts.append(context) or {"batchItemFailures": []})
    drain(runner, 5)
    (context,) = contexts
    assert 0 < context.get_remaining_time_in_millis() <= sr.FUNCTION_TIMEOUT_MS


def test_with_the_deployed_settings_a_batch_goes_at_the_first_poll_that_finds_records(tmp_path):
    """No batching window (freshness): a record waits for the next poll, never for a window to end."""
    assert DEPLOYED["MaximumBatchingWindowInSeconds"] == 0
    handler = Recorder()
    runner = make_runner(tmp_path, FakeStreams({"s": {"records": [raw_record(1), raw_record(2)]}}), handler,
                         DEPLOYED)
    runner.discover()
    runner.readers["s"].tick(1000.0)
    assert handler.sequences() == [1, 2]


def test_a_batching_window_holds_records_until_it_ends_or_the_batch_is_full(tmp_path):
    handler = Recorder()
    streams = FakeStreams({"s": {"records": [raw_record(1)]}})
    runner = make_runner(tmp_path, streams, handler, {**DEPLOYED, "MaximumBatchingWindowInSeconds": 1})
    runner.discover()
    reader = runner.readers["s"]
    reader.tick(1000.0)
    reader.tick(1000.5)
    assert handler.events == []
    reader.tick(1001.0)
    assert handler.sequences() == [1]
    streams.shards["s"]["records"] += [raw_record(i) for i in range(2, 2 + runner.batch_size)]
    reader.tick(1001.3)  # a full batch does not wait
    assert len(handler.sequences()) == 1 + runner.batch_size


def test_a_setting_can_be_overridden_on_the_command_line_to_measure_a_baseline():
    assert sr.setting("MaximumBatchingWindowInSeconds=1") == ("MaximumBatchingWindowInSeconds", 1)
    assert sr.setting('FunctionResponseTypes=["ReportBatchItemFailures"]')[1] == ["ReportBatchItemFailures"]
    with pytest.raises(Exception, match="KEY=VALUE"):
        sr.setting("Unknown=1")
