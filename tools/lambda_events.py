"""Lambda's DynamoDB Streams event shape, built from GetRecords records.

The local stream runner hands these to the deployed handler; tests build
events for the handler with them too.
"""
from __future__ import annotations

import base64
import math

from chalicelib.aws import clock


def epoch_seconds(moment) -> float | int:
    """A record's creation time as Lambda gives it: epoch seconds (boto3 gives a datetime)."""
    seconds = clock.epoch(moment)
    return int(seconds) if seconds.is_integer() else seconds


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
        images["ApproximateCreationDateTime"] = epoch_seconds(images["ApproximateCreationDateTime"])
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
    return clock.stamp(start), clock.stamp(start + seconds)


def lambda_event(records: list[dict], shard_id: str, stream_arn: str, settings: dict,
                 now: float, state: dict | None = None) -> dict:
    """The event Lambda sends for a batch of ``records`` (already in Lambda's record shape).

    With a tumbling window Lambda adds the shard, the window and the state
    the function returned last time in this window.
    """
    event: dict[str, object] = {"Records": records}
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
