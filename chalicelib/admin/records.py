"""The admin table: single-use sign-in links, sessions and per-address rate counters, each with a TTL.

One small table, keyed ``link#…``, ``session#…`` and ``rate#…``; every item
carries ``expires_at`` (epoch seconds, the table's TTL attribute), and every
read checks it too, since DynamoDB removes expired items only eventually.
Written with boto3 directly: three tiny item shapes, no model needed.
"""
from __future__ import annotations

from chalicelib.aws import clients, config


def _table() -> str:
    return config.settings().admin_table


def put(key: str, expires_at: int, **attributes: str) -> None:
    item = {"key": {"S": key}, "expires_at": {"N": str(expires_at)},
            **{name: {"S": value} for name, value in attributes.items()}}
    clients.dynamodb().put_item(TableName=_table(), Item=item)


def get(key: str, now: float) -> dict[str, str] | None:
    item = clients.dynamodb().get_item(TableName=_table(), Key={"key": {"S": key}}, ConsistentRead=True).get("Item")
    return _live(item, now)


def take(key: str, now: float) -> dict[str, str] | None:
    """Delete the item and return what it held, if it was there and alive: once only, however many ask at once."""
    reply = clients.dynamodb().delete_item(TableName=_table(), Key={"key": {"S": key}}, ReturnValues="ALL_OLD")
    return _live(reply.get("Attributes"), now)


def delete(key: str) -> None:
    clients.dynamodb().delete_item(TableName=_table(), Key={"key": {"S": key}})


def count(key: str, expires_at: int) -> int:
    """Add one to a counter that lives until ``expires_at``; the new count."""
    reply = clients.dynamodb().update_item(
        TableName=_table(), Key={"key": {"S": key}},
        UpdateExpression="ADD n :one SET expires_at = if_not_exists(expires_at, :e)",
        ExpressionAttributeValues={":one": {"N": "1"}, ":e": {"N": str(expires_at)}},
        ReturnValues="UPDATED_NEW")
    return int(reply["Attributes"]["n"]["N"])


def _live(item: dict | None, now: float) -> dict[str, str] | None:
    if not item or int(item.get("expires_at", {}).get("N", "0")) <= now:
        return None
    return {name: value["S"] for name, value in item.items() if "S" in value}
