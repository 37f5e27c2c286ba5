"""Retention: anonymising the signatures of petitions closed long enough ago, with the counts unchanged.

A petition's signatures are anonymised once it has been closed for its
retention period (``retention_days`` on the petition, else ``RETENTION_DAYS``,
default 90). Each signature keeps only what the figures need (``KEPT``:
petition, country, status and its dates); name, email, postcode, any IP hash
and everything else go. Its key was the keyed hash of the email, which is
personal data too, so the item is re-keyed (``<petition>#anon-<random>``): one
transaction deletes the old item and puts the new one. The stream carries a
REMOVE and an INSERT of the same country and status, which the tally nets to
zero, so the totals end where they were (they may differ by one for the
moment between the two records). Nothing links the new item to its signer:
``make signer-data`` and erasure find nothing for that address any more.

Pending signatures of a closed petition can never be confirmed: they are
deleted (a REMOVE of a pending signature counts nothing).

The daily scheduled function runs ``run_due``: each due petition is read with
a parallel Scan (filtered to its not-yet-anonymised items) and rewritten by a
few threads, stopping before the function's time runs out; the next day picks
up what is left, since an anonymised item no longer matches. A petition
whose run found nothing left is stamped ``anonymised_at`` and skipped after.
"""
from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from chalicelib.audit import trail
from chalicelib.aws import clients, clock, config
from chalicelib.aws.models import Petition, PetitionStatus, SignatureStatus
from chalicelib.petitions import catalog, store
from chalicelib.rights import export

log = logging.getLogger(__name__)

ANON_MARK = "anon-"
# counted_source is a registered source or "other", never the signer's own text.
KEPT = ("petition_id", "country", "status", "created_at", "confirmed_at", "consent_at", "counted_source")
WRITERS = 8
# Stop starting new work when this little of the function's time is left (the longest write plus margin).
RESERVE_SECONDS = 30


def anonymous_key(petition_id: str) -> str:
    return f"{petition_id}#{ANON_MARK}{secrets.token_hex(16)}"


def is_anonymous(signature_key: str) -> bool:
    return signature_key.split("#", 1)[-1].startswith(ANON_MARK)


def anonymised_item(item: dict, now: float) -> dict:
    """The re-keyed item: only the attributes the figures need, and when it was anonymised (pure)."""
    kept = {name: item[name] for name in KEPT if name in item}
    kept["signature_key"] = {"S": anonymous_key(item["petition_id"]["S"])}
    kept["anonymised_at"] = {"S": clock.stamp(now)}
    return kept


# ---- when a petition is due ------------------------------------------------------------

def closed_since(petition: Petition, now: datetime) -> datetime | None:
    """When the petition closed, if it is closed: its close (``closed_at``) or its passed ``closes_at``."""
    if catalog.state(petition, now) != PetitionStatus.CLOSED:
        return None
    moments = [m for m in (petition.closed_at, petition.closes_at) if m is not None and m <= now]
    return min(moments) if moments else None


def retention_days(petition: Petition) -> int:
    return int(petition.retention_days) if petition.retention_days is not None else config.settings().retention_days


def due(petition: Petition, now: datetime) -> bool:
    since = closed_since(petition, now)
    return since is not None and petition.anonymised_at is None and \
        now >= since + timedelta(days=retention_days(petition))


# ---- rewriting one petition's signatures ---------------------------------------------------

@dataclass
class Result:
    petition_id: str
    anonymised: int = 0
    deleted: int = 0  # pending signatures, which can never count now
    skipped: int = 0  # changed under us (erased, say): left for the next run
    done: bool = False  # nothing left to anonymise
    reason: str = ""

    def describe(self) -> str:
        if self.reason:
            return f"{self.petition_id}: {self.reason}"
        state = "done" if self.done else "more left for the next run"
        return (f"{self.petition_id}: {self.anonymised} signatures anonymised, {self.deleted} pending ones deleted "
                f"({state})")


CONFLICT_RETRIES = 3


def _conflict(exc: ClientError) -> bool:
    reasons = exc.response.get("CancellationReasons") or []
    return exc.response["Error"]["Code"] == "TransactionCanceledException" and \
        any(reason.get("Code") == "TransactionConflict" for reason in reasons)


def _rewrite(item: dict, now: float) -> str:
    """Anonymise (or, when pending, delete) one signature; what happened."""
    client, table = clients.dynamodb_for_jobs(), config.settings().signatures_table
    key = {"signature_key": item["signature_key"]}
    unchanged = {"ConditionExpression": "attribute_exists(email) AND #s = :s",
                 "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":s": item["status"]}}
    try:
        if item["status"].get("S") == SignatureStatus.PENDING:
            client.delete_item(TableName=table, Key=key, **unchanged)
            return "deleted"
        writes = [
            {"Delete": {"TableName": table, "Key": key, **unchanged}},
            {"Put": {"TableName": table, "Item": anonymised_item(item, now),
                     "ConditionExpression": "attribute_not_exists(signature_key)"}},
        ]
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                client.transact_write_items(TransactItems=writes)
                break
            except ClientError as exc:
                # Another request on the same item at that moment (not a changed item): try again.
                if attempt == CONFLICT_RETRIES or not _conflict(exc):
                    raise
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("TransactionCanceledException", clients.CONDITIONAL_CHECK_FAILED):
            return "skipped"
        raise
    return "anonymised"


def _scan_arguments(petition_id: str) -> dict:
    return {"TableName": config.settings().signatures_table, "FilterExpression": "#p = :p AND attribute_exists(email)",
            "ExpressionAttributeNames": {"#p": "petition_id"}, "ExpressionAttributeValues": {":p": {"S": petition_id}}}


def anonymise(petition_id: str, time_left: Callable[[], float] | None = None, now: float | None = None,
              segments: int = export.DEFAULT_SEGMENTS) -> Result:
    """Anonymise every not-yet-anonymised signature of the petition, until done or out of time."""
    moment = time.time() if now is None else now
    result = Result(petition_id)
    out_of_time = False
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        window: list = []
        for item in export.scan(_scan_arguments(petition_id), segments, page_items=export.PAGE_ITEMS):
            if time_left is not None and time_left() < RESERVE_SECONDS:
                out_of_time = True
                break
            window.append(pool.submit(_rewrite, item, moment))
            if len(window) >= WRITERS * 4:  # a bounded backlog: the Scan waits for the writers
                _collect(window, result)
        _collect(window, result)
    result.done = not out_of_time and result.skipped == 0
    return result


def _collect(window: list, result: Result) -> None:
    for future in window:
        outcome = future.result()
        if outcome == "anonymised":
            result.anonymised += 1
        elif outcome == "deleted":
            result.deleted += 1
        else:
            result.skipped += 1
    window.clear()


def _finish(petition_id: str, result: Result, actor: str, now: float) -> None:
    if result.anonymised or result.deleted:
        trail.record(actor, "anonymise", petition_id, None,
                     {"anonymised": result.anonymised, "pending_deleted": result.deleted, "done": result.done})
    if result.done:
        clients.dynamodb().update_item(
            TableName=config.settings().petitions_table, Key={"petition_id": {"S": petition_id}},
            UpdateExpression="SET anonymised_at = :at", ConditionExpression="attribute_exists(petition_id)",
            ExpressionAttributeValues={":at": {"S": Petition.anonymised_at.serialize(clock.as_utc(now))}})
        catalog.reset()
    log.info("retention petition=%s anonymised=%d deleted=%d skipped=%d done=%s", petition_id, result.anonymised,
             result.deleted, result.skipped, result.done)


def anonymise_petition(petition_id: str, *, force: bool = False, actor: str = "retention",
                       time_left: Callable[[], float] | None = None) -> Result:
    """One petition: only when due, unless ``force`` (it must still be closed: open petitions keep their data)."""
    now = time.time()
    petition = store.get(petition_id)
    if petition is None:
        return Result(petition_id, reason="no such petition")
    moment = clock.as_utc(now)
    if catalog.state(petition, moment) != PetitionStatus.CLOSED:
        return Result(petition_id, reason="not closed: an open or draft petition keeps its signatures")
    if not force and not due(petition, moment):
        return Result(petition_id, reason=f"not due: anonymised {retention_days(petition)} days after closing")
    result = anonymise(petition_id, time_left, now)
    _finish(petition_id, result, actor, now)
    return result


def run_due(time_left: Callable[[], float] | None = None) -> list[Result]:
    """The scheduled run: every petition due, until the function's time runs short."""
    now = clock.utc_now()
    results = []
    for petition in store.every():
        if petition.status == PetitionStatus.CLOSED and petition.closed_at is None and petition.closes_at is None:
            _start_clock(petition.petition_id, now)  # closed before closing was timed: the period starts now
            continue
        if not due(petition, now):
            continue
        if time_left is not None and time_left() < RESERVE_SECONDS * 2:
            break
        result = anonymise(petition.petition_id, time_left, now.timestamp())
        _finish(petition.petition_id, result, "retention (scheduled)", now.timestamp())
        results.append(result)
    return results


def _start_clock(petition_id: str, now: datetime) -> None:
    clients.dynamodb().update_item(
        TableName=config.settings().petitions_table, Key={"petition_id": {"S": petition_id}},
        UpdateExpression="SET closed_at = :at", ConditionExpression="attribute_not_exists(closed_at)",
        ExpressionAttributeValues={":at": {"S": Petition.closed_at.serialize(now)}})


def handle(event: dict, context=None) -> dict:
    """The scheduled function's entry point."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    results = run_due((lambda: remaining() / 1000) if remaining else None)
    return {"petitions": [{"petition_id": r.petition_id, "anonymised": r.anonymised, "deleted": r.deleted,
                           "done": r.done} for r in results]}


def set_period(petition_id: str, days: int) -> None:
    """A petition's own retention period (days after it closes)."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    clients.dynamodb().update_item(
        TableName=config.settings().petitions_table, Key={"petition_id": {"S": petition_id}},
        UpdateExpression="SET retention_days = :d", ConditionExpression="attribute_exists(petition_id)",
        ExpressionAttributeValues={":d": {"N": str(days)}})
    catalog.reset()
