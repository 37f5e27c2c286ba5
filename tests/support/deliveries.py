"""Delivery schedules: the same records delivered at least once, in every order Lambda may use."""
from __future__ import annotations

from hypothesis import strategies as st

from chalicelib.tally import stream_tally
from tests.support.streams import event

# Sequence numbers here cross from 21 to 22 digits, where string order goes wrong.
START = 10 ** 21 - 30


SHARD_A = "shardId-00000001764201600000-aaaaaaaa"


SHARD_B = "shardId-00000001764201600000-bbbbbbbb"


def handle(records, shard=SHARD_A):
    return stream_tally.handle(event(records, shard))


def deliver_until_done(records, shard=SHARD_A):
    """Lambda's loop for one shard: resume from the lowest failed record until none fails."""
    position, rounds = 0, 0
    while position < len(records):
        rounds += 1
        assert rounds < 50, "a shard never drained"
        batch = records[position:]
        failures = handle(batch, shard)["batchItemFailures"]
        if not failures:
            return
        failed = failures[0]["itemIdentifier"]
        position += [r["dynamodb"]["SequenceNumber"] for r in batch].index(failed)


DELIVERIES = ["ok", "twice", "bisect", "rewind", "shuffled", "fail", "fail_after",
              "crash", "timeout", "reordered", "skip", "fold"]


deliveries = st.lists(st.tuples(st.sampled_from(DELIVERIES), st.integers(1, 8), st.integers(0, 10)),
                      min_size=1, max_size=25)
