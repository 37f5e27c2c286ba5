"""Per-petition running totals: the item the stream tally writes and the dashboard reads.

One small item per petition holds one ``c_<CC>`` counter per country and the
tally's per-shard high-water marks (``hw_<shard>``, with the time each was
last written in ``ht_<shard>``), so a single GetItem answers a poll. The
total is the sum of the countries, not a second counter, so the two cannot
disagree.

This module owns that layout: every reader and writer (the tally, reconcile,
benchmarks, tests) names attributes through it. The item is written with raw
boto3 rather than PynamoDB because its attribute names vary per country and
per stream shard, which a model's fixed attribute list cannot express.
"""
from __future__ import annotations

import hashlib
import json

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from . import aws, config, metrics

COUNTRY_PREFIX = "c_"
MARK_PREFIX = "hw_"
MARK_TIME_PREFIX = "ht_"
GOAL = "goal"
UPDATED_AT = "updated_at"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# ---- the layout -------------------------------------------------------------

def key(petition_id: str) -> dict:
    return {"petition_id": {"S": petition_id}}


def country_attribute(country: str) -> str:
    return COUNTRY_PREFIX + country


def mark_attribute(shard: str) -> str:
    return MARK_PREFIX + shard


def mark_time_attribute(shard: str) -> str:
    return MARK_TIME_PREFIX + shard


def typed(values: dict) -> dict:
    """Plain Python values as DynamoDB's typed values (for expression values)."""
    return {name: _serializer.serialize(value) for name, value in values.items()}


def _plain(value: dict):
    return _deserializer.deserialize(value)


def petition_of(item: dict) -> str:
    return _plain(item["petition_id"])


def counts(item: dict) -> dict[str, int]:
    """Every country counter in a stored (typed) item, zeros included."""
    return {attr[len(COUNTRY_PREFIX):]: int(_plain(value))
            for attr, value in item.items() if attr.startswith(COUNTRY_PREFIX)}


def stored_mark(item: dict, shard: str) -> str | None:
    """The high-water sequence number (padded text) stored for a shard, if any."""
    value = item.get(mark_attribute(shard))
    return None if value is None else _plain(value)


def mark_times(item: dict) -> dict[str, int]:
    """When each shard's mark was last written (epoch seconds), per shard."""
    return {attr[len(MARK_TIME_PREFIX):]: int(_plain(value))
            for attr, value in item.items() if attr.startswith(MARK_TIME_PREFIX)}


def set_counts_arguments(petition_id: str, by_country: dict[str, int], updated_at: str) -> dict:
    """UpdateItem arguments that set counters outright (demo data and tests; the tally only ADDs)."""
    names = {f"#c{i}": country_attribute(code) for i, code in enumerate(by_country)}
    values = {":u": updated_at, **{f":c{i}": n for i, n in enumerate(by_country.values())}}
    expression = ", ".join([f"{UPDATED_AT} = :u"] + [f"#c{i} = :c{i}" for i in range(len(names))])
    arguments = {"Key": key(petition_id), "UpdateExpression": "SET " + expression,
                 "ExpressionAttributeValues": typed(values)}
    if names:
        arguments["ExpressionAttributeNames"] = names
    return arguments


# ---- reads and writes -----------------------------------------------------------

def ensure(petition_id: str, goal: int) -> None:
    """Create the petition's totals item if missing, and keep its goal current."""
    aws.dynamodb().update_item(
        TableName=config.settings().totals_table,
        Key=key(petition_id),
        UpdateExpression=f"SET {GOAL} = :goal",
        ExpressionAttributeValues=typed({":goal": goal}),
    )


def read(petition_id: str) -> dict | None:
    """The public totals of a petition, or None if it has no totals item (unknown)."""
    item = aws.dynamodb().get_item(
        TableName=config.settings().totals_table,
        Key=key(petition_id),
    ).get("Item")
    if item is None:
        return None
    return view(petition_id, item)


def view(petition_id: str, item: dict) -> dict:
    """The public figures. A country below zero is shown as none and counted in a metric.

    The tally can only go below zero when a signature's removal was counted but
    its arrival was not (a stream record given up on after its retries): never
    publish that, raise an alarm instead, and let ``make reconcile`` repair it.
    """
    stored = counts(item)
    negative = {country: count for country, count in stored.items() if count < 0}
    if negative:
        metrics.emit(metrics.NEGATIVE_COUNTRY_TOTALS, len(negative),
                     {"petition_id": petition_id, "countries": sorted(negative)})
    by_country = {country: count for country, count in stored.items() if count > 0}
    return {
        "petition_id": petition_id,
        "total": sum(by_country.values()),
        "by_country": dict(sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))),
        "goal": int(_plain(item[GOAL])) if GOAL in item else None,
        "updated_at": _plain(item[UPDATED_AT]) if UPDATED_AT in item else None,
    }


def etag(body: dict) -> str:
    """A strong validator: the hash of exactly the bytes we send."""
    return '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
