"""The stream tally: signature changes in, exactly-once per-country counters out.

DynamoDB Streams and Lambda deliver records at least once: a batch may come
twice, be bisected, or be redelivered from the middle (with
ReportBatchItemFailures Lambda resumes at the lowest failed sequence number
and sends everything after it again). So:

1. Each record's effect comes from its old and new images: a signature counts
   for (petition, country) while its status is ``confirmed``. An INSERT of a
   confirmed signature adds one, a REMOVE of one subtracts one, a MODIFY moves
   or removes the count, anything else (a keys-only image, say) is zero.
2. Per batch, effects are summed per petition in memory, then applied with one
   conditional UpdateItem per petition to the petition's item for this shard
   (``totals.shard_key``): it adds to every country and sets the shard's
   high-water sequence number. The condition (stored mark below the batch's
   first record) makes a replay a no-op; when it fails, the stored mark says
   which records are new, and one more write applies just those. At most two
   writes per petition per batch, each the size of one shard's counters,
   however many shards the stream has had.
3. Sequence numbers are ordered within a shard only, so marks are kept per
   (petition, shard), each in its shard's item. They are zero-padded to 40
   digits, so DynamoDB's string comparison is the integers' order. Lambda
   names the shard in the event when the mapping has a tumbling window
   (``shardId``), which is why the deployment sets one; the local runner
   passes it the same way.
4. The same write counts campaigners' figures, which follow the same rules:
   a counted signature also counts for its source bucket (``s_<bucket>``,
   decided when it was stored, see ``totals.source_bucket``), and each
   signature that starts counting leaves a recent entry (minute, country,
   bucket) on the shard item, whose ``RECENT_SLOTS`` slots shift down by the
   batch's new entries (newest in ``r00``). A replayed record is outside the
   write that applies the batch, so it neither counts nor shifts twice.
5. A shard item idle for longer than the stream keeps records (25 hours) is
   folded into the petition's base item, once, by a transaction (see
   ``fold_idle`` and ``chalicelib.tally.totals``); a container looks for such
   items at most once an hour per petition, after applying a batch.

Every invocation ends in an answer, never a function error or a timeout: a
petition whose writes fail for any reason, and every petition left when the
invocation's time runs short, is reported as failed (see ``handle``).

A record the tally cannot read (a poison record) is reported as failed, so
Lambda retries it a bounded number of times and then skips it (and sends its
batch's position to the failure queue).

The trending detector (``chalicelib.fraud.trending``) reads each batch here
too, rather than as a third stream reader; it writes nothing.

Powertools' ``BatchProcessor`` handles stream batches one record at a time;
the tally cannot use it, because it must sum a whole batch into one write per
petition.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from botocore.exceptions import ClientError

from chalicelib.aws import caches, clients, clock, config
from chalicelib.aws.models import SignatureStatus
from chalicelib.fraud import trending
from chalicelib.tally import totals

log = logging.getLogger(__name__)

SEQUENCE_DIGITS = 40
# A shard's records live 24 hours; a mark idle for longer guards nothing, and its item can be folded.
MARK_RETENTION_SECONDS = 25 * 3600


class PoisonRecord(ValueError):
    """A stream record whose images the tally cannot read."""


class MissingShard(RuntimeError):
    """The event does not say which shard it came from (no tumbling window configured)."""


class OutOfTime(RuntimeError):
    """Too little of the invocation's time is left to start another write."""


class Deadline:
    """The invocation's time left, from Lambda's context (none when called without one, as in tests)."""

    # A write is started only while this much time is left: the longest one
    # request can take with its retries, so the invocation always ends with an
    # answer rather than a timeout.
    RESERVE_MS = clients.LIMITS.worst_seconds * 1000

    def __init__(self, context=None):
        self.remaining = getattr(context, "get_remaining_time_in_millis", None)

    def near(self) -> bool:
        return self.remaining is not None and self.remaining() < self.RESERVE_MS


@dataclass(frozen=True)
class Effect:
    sequence: int
    deltas: dict  # (petition_id, country) -> +1 / -1
    label: str = ""  # the SequenceNumber exactly as the record wrote it (Lambda matches it as text)
    sources: dict = field(default_factory=dict)  # (petition_id, source bucket) -> +1 / -1
    arrivals: dict = field(default_factory=dict)  # petition_id -> recent entry, when a signature starts counting


class Change(NamedTuple):
    """One record's effect on one petition (a tuple: the tally makes one per record)."""

    sequence: int
    deltas: dict  # country -> delta
    label: str
    sources: dict  # source bucket -> delta
    arrival: str | None  # the recent entry of a signature that starts counting


@dataclass
class PetitionBatch:
    """The records of one batch that change one petition's counts, in stream order."""

    petition_id: str
    changes: list[Change] = field(default_factory=list)  # ascending sequence

    @property
    def sequences(self) -> list[int]:
        return [change.sequence for change in self.changes]

    @property
    def first_label(self) -> str:
        return self.changes[0].label

    @staticmethod
    def _summed(parts) -> dict[str, int]:
        summed: dict[str, int] = defaultdict(int)
        for deltas in parts:
            for name, delta in deltas.items():
                summed[name] += delta
        return dict(summed)

    @property
    def deltas(self) -> dict[str, int]:
        return self._summed(change.deltas for change in self.changes)

    @property
    def source_deltas(self) -> dict[str, int]:
        return self._summed(change.sources for change in self.changes)

    @property
    def arrivals(self) -> list[str]:
        """The batch's recent entries, newest first, at most as many as the item keeps."""
        entries = [change.arrival for change in reversed(self.changes) if change.arrival]
        return entries[:totals.RECENT_SLOTS]

    def above(self, mark: int) -> PetitionBatch:
        """Only the records after a stored high-water mark."""
        return PetitionBatch(self.petition_id, [c for c in self.changes if c.sequence > mark])


# ---- pure part: records to deltas ----------------------------------------

def _string(image: dict, attribute: str):
    value = image.get(attribute)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PoisonRecord(f"attribute {attribute} is not a typed value")
    return value.get("S")


def counted_as(image) -> tuple[str, str] | None:
    """The (petition, country) an image counts for, or None when it counts for nothing."""
    if image is None:
        return None
    if not isinstance(image, dict):
        raise PoisonRecord("image is not a map")
    if _string(image, "status") != SignatureStatus.CONFIRMED:
        return None
    petition_id, country = _string(image, "petition_id"), _string(image, "country")
    if not petition_id or not country:
        raise PoisonRecord("confirmed signature without petition or country")
    return petition_id, country


def counted_source(image, where: tuple[str, str] | None) -> tuple[str, str] | None:
    """The (petition, source bucket) an image counts for, given what ``counted_as`` said of it."""
    if where is None:
        return None
    return where[0], totals.source_bucket(_string(image, totals.COUNTED_SOURCE))


def sequence_of(record: dict) -> int:
    try:
        sequence = record["dynamodb"]["SequenceNumber"]
    except (KeyError, TypeError):
        raise PoisonRecord("record has no sequence number") from None
    if not (isinstance(sequence, str) and sequence.isdigit() and len(sequence) <= SEQUENCE_DIGITS):
        raise PoisonRecord("sequence number is not a digit string")
    return int(sequence)


def effect_of(record: dict) -> Effect:
    """What one stream record does to the counts."""
    sequence = sequence_of(record)
    images = record["dynamodb"]
    old, new = images.get("OldImage"), images.get("NewImage")
    before, after = counted_as(old), counted_as(new)
    deltas = _moved(before, after)
    source_after = counted_source(new, after)
    sources = _moved(counted_source(old, before), source_after)
    arrivals = {}
    # A signature that starts counting leaves a recent entry; anonymisation's re-keyed copy is not a new one.
    starts = after is not None and (before is None or before[0] != after[0])
    if starts and after is not None and source_after is not None and "anonymised_at" not in new:
        petition_id, bucket = source_after
        arrivals[petition_id] = totals.recent_entry(_string(new, "created_at") or "", after[1], bucket)
    return Effect(sequence, deltas, record["dynamodb"]["SequenceNumber"], sources, arrivals)


def _moved(before, after) -> dict:
    """-1 where an image stopped counting, +1 where it started (nothing when both count the same)."""
    deltas = {}
    if before != after:
        if before:
            deltas[before] = -1
        if after:
            deltas[after] = deltas.get(after, 0) + 1
    return deltas


def group_by_petition(effects: list[Effect]) -> dict[str, PetitionBatch]:
    """Split a batch's effects per petition, in sequence order.

    Lambda delivers records in order the first time, but a redelivery may
    come out of order (its tumbling-window documentation says so): sorting
    keeps the first and last records the lowest and highest.
    """
    batches: dict[str, PetitionBatch] = {}
    for effect in sorted(effects, key=lambda e: e.sequence):
        touched: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
        for (petition_id, country), delta in effect.deltas.items():
            touched.setdefault(petition_id, ({}, {}))[0][country] = delta
        for (petition_id, bucket), delta in effect.sources.items():
            touched.setdefault(petition_id, ({}, {}))[1][bucket] = delta
        for petition_id, (deltas, sources) in touched.items():
            batch = batches.get(petition_id)
            if batch is None:
                batch = batches[petition_id] = PetitionBatch(petition_id)
            batch.changes.append(Change(effect.sequence, deltas, effect.label, sources,
                                        effect.arrivals.get(petition_id)))
    return batches


def padded(sequence: int) -> str:
    return str(sequence).zfill(SEQUENCE_DIGITS)


# ---- applying a petition's deltas exactly once -----------------------------

ABSENT = object()  # the expected mark when the shard item has none yet


def _update_arguments(petition_id: str, shard: str, batch: PetitionBatch, expected, now: float) -> dict:
    """The conditional UpdateItem applying ``batch`` to this shard's item of the petition.

    ``expected`` None: a first try, applied if the stored mark is below the
    batch's first record. A string (or ABSENT): a second try, applied only if
    the mark is still exactly what the failed first try saw. Never to an item
    already folded into the base item (see ``_revive``).
    """
    names = {"#hw": totals.MARK, "#ht": totals.MARK_TIME, "#at": totals.UPDATED_AT, "#f": totals.FOLDED}
    values: dict[str, object] = {":last": padded(batch.sequences[-1]), ":now": int(now), ":at": clock.stamp(now)}
    if expected is None:
        condition = "(attribute_not_exists(#hw) OR #hw < :first)"
        values[":first"] = padded(batch.sequences[0])
    elif expected is ABSENT:
        condition = "attribute_not_exists(#hw)"
    else:
        condition = "#hw = :expected"
        values[":expected"] = expected
    sets = ["#hw = :last", "#ht = :now", "#at = :at"] + _shift_recent(batch.arrivals, names, values)
    return {
        "TableName": config.settings().totals_table,
        "Key": totals.shard_key(petition_id, shard),
        "UpdateExpression": totals.adding_counts(sets, names, values, batch.deltas, batch.source_deltas),
        "ConditionExpression": "attribute_not_exists(#f) AND " + condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": totals.typed(values),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _shift_recent(arrivals: list[str], names: dict, values: dict) -> list[str]:
    """SET clauses moving the item's recent entries down by the batch's new ones, which go on top.

    Listed from the last slot up, so the result is the same whether an
    engine reads each right-hand side before or after the clauses before it.
    """
    if not arrivals:
        return []
    slots, fresh = totals.RECENT_SLOTS, len(arrivals)
    for slot in range(slots):
        names[f"#r{slot}"] = totals.recent_attribute(slot)
    clauses = []
    if fresh < slots:
        values[":none"] = ""
    for slot in range(slots - 1, fresh - 1, -1):
        clauses.append(f"#r{slot} = if_not_exists(#r{slot - fresh}, :none)")
    for slot, entry in reversed(list(enumerate(arrivals))):
        values[f":r{slot}"] = entry
        clauses.append(f"#r{slot} = :r{slot}")
    return clauses


def apply_petition(batch: PetitionBatch, shard: str, now: float | None = None,
                   deadline: Deadline | None = None) -> int:
    """Apply one petition's changes from one batch exactly once; return the writes made.

    One write normally; two when the batch overlaps records already applied
    (the stored mark says which are new); one more, once per shard lifetime at
    most, when the shard's item was folded and the shard writes again.
    """
    now = time.time() if now is None else now
    deadline = deadline or Deadline()
    client = clients.dynamodb()
    petition_id = batch.petition_id
    writes = 1
    try:
        client.update_item(**_update_arguments(petition_id, shard, batch, None, now))
        return writes
    except ClientError as exc:
        if not clients.conditional_check_failed(exc):
            raise
        # The stored item says what happened: some of these records were applied
        # before (a redelivery), or the item was folded into the base item.
        item = exc.response.get("Item", {})
    if totals.folded(item) is not None:
        if deadline.near():
            raise OutOfTime(petition_id)
        _revive(item)
        item, writes = {}, writes + 1
    stored = totals.stored_mark(item)
    remaining = batch.above(int(stored)) if stored is not None else batch
    if not remaining.changes:
        return writes
    if deadline.near():
        raise OutOfTime(petition_id)  # nothing of this batch was applied: it is all redelivered
    expected = stored if stored is not None else ABSENT
    client.update_item(**_update_arguments(petition_id, shard, remaining, expected, now))
    return writes + 1


def _revive(item: dict) -> None:
    """Empty a folded shard item so its shard can count into it again.

    It was idle for longer than the stream keeps records, so every record it
    counted has expired: whatever comes now is new. One write clears its
    counts, mark and flag at once, so a reader sees it either folded (skipped)
    or empty.
    """
    names = {"#f": totals.FOLDED, "#fa": totals.FOLDED_AT, "#hw": totals.MARK, "#ht": totals.MARK_TIME}
    names.update({f"#c{i}": totals.country_attribute(country) for i, country in enumerate(sorted(totals.counts(item)))})
    names.update({f"#s{i}": totals.source_attribute(bucket)
                  for i, bucket in enumerate(sorted(totals.source_counts(item)))})
    names.update({f"#r{i}": attribute for i, attribute in enumerate(sorted(totals.recent_entries(item)))})
    clients.dynamodb().update_item(
        TableName=config.settings().totals_table, Key=totals.item_key(item),
        UpdateExpression="REMOVE " + ", ".join(names), ConditionExpression="#f = :f",
        ExpressionAttributeNames=names, ExpressionAttributeValues=totals.typed({":f": totals.folded(item)}))


# ---- folding idle shard items into the base item ----------------------------

# How often a container looks for a petition's idle shard items (they become
# foldable 25 hours after their last write, so there is no hurry).
FOLD_CHECK_SECONDS = 3600
# At most this many folds (one transaction each) per invocation; the rest wait for the next.
FOLDS_PER_INVOCATION = 25
# A folded item is deleted only once every read that began before its fold has ended.
FOLDED_GRACE_SECONDS = 60

_fold_checked: dict[str, float] = caches.keep({})  # petition -> when this container last looked (monotonic seconds)


def reset() -> None:
    """Forget when this container last looked for idle shard items."""
    _fold_checked.clear()


def _newer(item: dict, base: dict | None) -> bool:
    """Was ``item`` updated after ``base``? (Stamps are ISO 8601 in UTC, so text order is time order.)"""
    if totals.UPDATED_AT not in item:
        return False
    return base is None or totals.UPDATED_AT not in base or \
        item[totals.UPDATED_AT]["S"] > base[totals.UPDATED_AT]["S"]


def _fold_arguments(base: dict | None, item: dict, number: int, now: float) -> dict:
    """One transaction: the shard item's counts into the base item, and the shard item flagged as folded."""
    names = {"#n": totals.FOLDS}
    values: dict[str, object] = {":n": number}
    condition = "attribute_not_exists(#n)" if number == 1 else "#n = :seen"
    if number > 1:
        values[":seen"] = number - 1
    sets = ["#n = :n"]
    if _newer(item, base):  # the base keeps the latest change it has taken in
        names["#at"] = totals.UPDATED_AT
        values[":at"] = item[totals.UPDATED_AT]["S"]
        sets.append("#at = :at")
    # The base keeps the newest recent entries of the items folded into it (the
    # fold number's condition makes the base's entries exactly those read).
    kept = sorted({entry for entry in [*totals.recent_entries(base or {}).values(),
                                        *totals.recent_entries(item).values()] if entry}, reverse=True)
    if totals.recent_entries(item):
        for slot in range(totals.RECENT_SLOTS):
            names[f"#r{slot}"] = totals.recent_attribute(slot)
            values[f":r{slot}"] = kept[slot] if slot < len(kept) else ""
            sets.append(f"#r{slot} = :r{slot}")
    expression = totals.adding_counts(sets, names, values, totals.counts(item), totals.source_counts(item))
    table = config.settings().totals_table
    return {"TransactItems": [
        {"Update": {"TableName": table, "Key": totals.key(totals.petition_of(item)),
                    "UpdateExpression": expression, "ConditionExpression": condition,
                    "ExpressionAttributeNames": names, "ExpressionAttributeValues": totals.typed(values)}},
        # Folded only as it was read: a write to it since would have moved its mark.
        {"Update": {"TableName": table, "Key": totals.item_key(item),
                    "UpdateExpression": "SET #f = :n, #fa = :now",
                    "ConditionExpression": "attribute_not_exists(#f) AND #hw = :hw AND #ht = :ht",
                    "ExpressionAttributeNames": {"#f": totals.FOLDED, "#fa": totals.FOLDED_AT,
                                                 "#hw": totals.MARK, "#ht": totals.MARK_TIME},
                    "ExpressionAttributeValues": totals.typed({
                        ":n": number, ":now": int(now), ":hw": totals.stored_mark(item),
                        ":ht": totals.mark_time(item)})}},
    ]}


def fold_idle(petition_id: str, now: float | None = None, deadline: Deadline | None = None) -> bool:
    """Fold the petition's idle shard items into its base item, and delete folded ones.

    Once per shard item: folding is idempotent through the conditions on the
    base's fold number and the item's mark. True when nothing is left to do.
    """
    now = time.time() if now is None else now
    deadline = deadline or Deadline()
    client = clients.dynamodb()
    items = totals.petition_items(petition_id)
    base = next((item for item in items if totals.is_base(item)), None)
    number = totals.folds(base)
    work = 0
    for item in items:
        if totals.is_base(item):
            continue
        flagged = totals.folded(item)
        idle = flagged is None and MARK_RETENTION_SECONDS < now - (totals.mark_time(item) or now)
        stale = flagged is not None and flagged <= number and now - (totals.folded_at(item) or now) > \
            FOLDED_GRACE_SECONDS
        if not (idle or stale):
            continue
        if work >= FOLDS_PER_INVOCATION or deadline.near():
            return False
        work += 1
        try:
            if idle:
                client.transact_write_items(**_fold_arguments(base, item, number + 1, now))
                number += 1
                if _newer(item, base):
                    base = {**(base or {}), totals.UPDATED_AT: item[totals.UPDATED_AT]}
            else:
                client.delete_item(TableName=config.settings().totals_table, Key=totals.item_key(item),
                                   ConditionExpression="#f = :f", ExpressionAttributeNames={"#f": totals.FOLDED},
                                   ExpressionAttributeValues=totals.typed({":f": flagged}))
        except ClientError as exc:
            # Another container folded meanwhile, or the shard wrote again: look again next time.
            log.info("fold skipped petition=%s error=%s", petition_id, exc.response["Error"]["Code"])
            return False
    return True


def _maybe_fold(petition_id: str, deadline: Deadline) -> None:
    """Look for idle shard items now and then; never let it fail the batch."""
    checked = _fold_checked.get(petition_id)
    if checked is not None and time.monotonic() - checked < FOLD_CHECK_SECONDS:
        return
    try:
        done = fold_idle(petition_id, deadline=deadline)
    except Exception as exc:
        log.warning("fold failed petition=%s error=%s", petition_id, type(exc).__name__)
        return
    if done:
        _fold_checked[petition_id] = time.monotonic()


# ---- the Lambda handler's body ---------------------------------------------

def shard_of(event: dict) -> str:
    shard = event.get("shardId")
    if not shard:
        raise MissingShard("the stream event has no shardId: the event source mapping needs TumblingWindowInSeconds")
    return shard


def _sequence_label(record) -> str | None:
    dynamodb = record.get("dynamodb") if isinstance(record, dict) else None
    sequence = dynamodb.get("SequenceNumber") if isinstance(dynamodb, dict) else None
    return sequence if isinstance(sequence, str) and sequence.isdigit() else None


def handle(event: dict, context=None) -> dict:
    """Apply a batch of signature-table stream records; report the ones to retry.

    Every batch ends in an answer: a petition whose writes fail for any reason,
    and every petition left when the invocation's time runs short, is
    reported as failed. A function error or a timeout instead would make
    Lambda retry or bisect the batch, and its redeliveries may come out of
    order: a later record applied first would move the mark past an earlier
    one, which would then never count. A partial-failure answer makes Lambda
    resume in order from the lowest failed record.
    """
    started = time.monotonic()
    deadline = Deadline(context)
    shard = shard_of(event)
    records = event.get("Records") or []
    effects: list[Effect] = []
    failed: list[str] = []
    for record in records:
        try:
            effects.append(effect_of(record))
        except Exception as exc:
            sequence = _sequence_label(record)
            reason = exc if isinstance(exc, PoisonRecord) else type(exc).__name__
            log.error("unreadable stream record event=%s reason=%s",
                      record.get("eventID") if isinstance(record, dict) else None, reason)
            if sequence is None:
                raise  # without a sequence number Lambda cannot be told where to resume
            failed.append(sequence)

    # Who is signing a lot, from these same records: a log line and a metric, no write.
    trending.observe(records)
    batches = group_by_petition(effects)
    writes, left = 0, 0
    applied: list[str] = []
    for batch in batches.values():
        if deadline.near():
            failed.append(batch.first_label)
            left += 1
            continue
        try:
            writes += apply_petition(batch, shard, deadline=deadline)
            applied.append(batch.petition_id)
        except OutOfTime:
            failed.append(batch.first_label)
            left += 1
        except Exception as exc:
            code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
            log.warning("tally write failed petition=%s error=%s", batch.petition_id, code)
            failed.append(batch.first_label)
    if left:
        log.warning("tally stopped before the deadline shard=%s petitions_left=%d", shard, left)
    for petition_id in applied:
        if not deadline.near():
            _maybe_fold(petition_id, deadline)

    failures = []
    if failed:
        # Lambda resumes from the lowest failed record and redelivers all after it;
        # the marks make the redelivered, already-applied records no-ops.
        lowest = min(failed, key=int)
        failures = [{"itemIdentifier": lowest}]
    log.info("tally batch shard=%s records=%d petitions=%d writes=%d failed=%d ms=%d",
             shard, len(records), len(batches), writes, len(failures),
             (time.monotonic() - started) * 1000)
    response: dict[str, object] = {"batchItemFailures": failures}
    if "window" in event:
        response["state"] = {}
    return response
