"""The local stream runner's durable state: per-shard checkpoints and the file of skipped batches.

Both survive a crash: checkpoints are replaced atomically, failures are
appended and synced line by line.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from chalicelib.aws import clock


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

    def __init__(self, path: Path, function: str = "on_signature_change"):
        self.path = Path(path)
        self.function = function

    def write(self, stream_arn: str, shard_id: str, batch: list[dict], reason: str, attempts: int) -> None:
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        entry = {
            "requestContext": {"condition": reason, "approximateInvokeCount": attempts,
                               "functionArn": f"local:{self.function}"},
            "timestamp": clock.utc_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),  # Lambda's record has microseconds
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
    return None if moment is None else clock.stamp(moment)
