"""The audit log: who changed what, when, with a petition's fields before and after.

One item per change in the audit table, all under one partition key so the
log reads newest first with a single Query (changes by a campaign team are a
few a minute at most, far below one partition's limits).
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.aws import clients, clock, config

LOG = "admin"


@dataclass(frozen=True)
class Entry:
    at: str
    actor: str
    action: str
    petition_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def changes(self) -> list[tuple[str, Any, Any]]:
        """The fields that differ, as (field, before, after)."""
        before, after = self.before or {}, self.after or {}
        return [(name, before.get(name), after.get(name)) for name in sorted(set(before) | set(after))
                if before.get(name) != after.get(name)]

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at, "actor": self.actor, "action": self.action, "petition_id": self.petition_id,
                "before": self.before, "after": self.after}


def record(actor: str, action: str, petition_id: str | None = None, before: dict | None = None,
           after: dict | None = None, now=None) -> Entry:
    at = clock.stamp(now)
    # Sorted by time to the second, then by nanoseconds: changes in the same second keep their order.
    key = f"{at}#{time.time_ns():020d}#{secrets.token_hex(2)}"
    item = {"log": {"S": LOG}, "at": {"S": key}, "actor": {"S": actor},
            "action": {"S": action}}
    if petition_id:
        item["petition_id"] = {"S": petition_id}
    for name, value in (("before", before), ("after", after)):
        if value is not None:
            item[name] = {"S": json.dumps(value, sort_keys=True)}
    clients.dynamodb().put_item(TableName=config.settings().audit_table, Item=item)
    return Entry(at, actor, action, petition_id, before, after)


def latest(limit: int = 100) -> list[Entry]:
    reply = clients.dynamodb().query(
        TableName=config.settings().audit_table, KeyConditionExpression="#l = :l",
        ExpressionAttributeNames={"#l": "log"}, ExpressionAttributeValues={":l": {"S": LOG}},
        ScanIndexForward=False, Limit=limit)
    return [_entry(item) for item in reply.get("Items", [])]


def _entry(item: dict) -> Entry:
    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    def fields(name: str) -> dict | None:
        raw = text(name)
        return json.loads(raw) if raw else None

    return Entry(at=(text("at") or "").split("#")[0], actor=text("actor") or "", action=text("action") or "",
                 petition_id=text("petition_id"), before=fields("before"), after=fields("after"))
