"""Per-petition running totals: the item the stream tally writes and the dashboard reads.

One small item per petition holds one ``c_<CC>`` counter per country and the
tally's per-shard high-water marks, so a single GetItem answers a poll. The
total is the sum of the countries, not a second counter, so the two cannot
disagree.
"""
from __future__ import annotations

import hashlib
import json

from . import aws, config

COUNTRY_PREFIX = "c_"


def ensure(petition_id: str, goal: int) -> None:
    """Create the petition's totals item if missing, and keep its goal current."""
    aws.dynamodb().update_item(
        TableName=config.settings().totals_table,
        Key={"petition_id": {"S": petition_id}},
        UpdateExpression="SET goal = :goal",
        ExpressionAttributeValues={":goal": {"N": str(goal)}},
    )


def read(petition_id: str) -> dict | None:
    """The public totals of a petition, or None if it has no totals item (unknown)."""
    item = aws.dynamodb().get_item(
        TableName=config.settings().totals_table,
        Key={"petition_id": {"S": petition_id}},
    ).get("Item")
    if item is None:
        return None
    return view(petition_id, item)


def view(petition_id: str, item: dict) -> dict:
    by_country = {}
    for attr, value in item.items():
        if attr.startswith(COUNTRY_PREFIX):
            count = int(value["N"])
            if count:
                by_country[attr[len(COUNTRY_PREFIX):]] = count
    return {
        "petition_id": petition_id,
        "total": sum(by_country.values()),
        "by_country": dict(sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))),
        "goal": int(item["goal"]["N"]) if "goal" in item else None,
        "updated_at": item.get("updated_at", {}).get("S"),
    }


def etag(body: dict) -> str:
    """A strong validator: the hash of exactly the bytes we send."""
    return '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
