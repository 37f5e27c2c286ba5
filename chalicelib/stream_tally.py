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
   conditional UpdateItem per petition that adds to every country and sets the
   petition's high-water sequence number for this shard. The condition
   (stored mark below the batch's first record) makes a replay a no-op; when
   it fails, the stored mark says which records are new, and one more write
   applies just those. At most two writes per petition per batch.
3. Sequence numbers are ordered within a shard only, so marks are kept per
   (petition, shard). They are zero-padded to 40 digits, so DynamoDB's string
   comparison is the integers' order. Lambda names the shard in the event
   when the mapping has a tumbling window (``shardId``), which is why the
   deployment sets one; the local runner passes it the same way.

Every invocation ends in an answer, never a function error or a timeout: a
petition whose writes fail for any reason, and every petition left when the
invocation's time runs short, is reported as failed (see ``handle``).

A record the tally cannot read (a poison record) is reported as failed, so
Lambda retries it a bounded number of times and then skips it (and sends its
batch's position to the failure queue). Marks of shards idle for longer than
the stream's 24-hour retention are removed, so the item stays small: at most
PRUNE_PER_WRITE of them per write, because DynamoDB refuses an expression of
more than 4 KB or 300 operators, and a write refused for its pruning would
stop the petition's counting altogether.

Powertools' ``BatchProcessor`` handles stream batches one record at a time;
the tally cannot use it, because it must sum a whole batch into one write per
petition.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from . import aws, clock, config, totals
from .models import SignatureStatus

log = logging.getLogger(__name__)

SEQUENCE_DIGITS = 40
# A shard's records live 24 hours; a mark idle for longer guards nothing.
MARK_RETENTION_SECONDS = 25 * 3600
# Idle marks one write removes: each costs two names, a REMOVE and a condition
# (two operators), so 20 keep a write far below DynamoDB's expression limits
# (4 KB, 300 operators) even beside a delta for every country in the world.
PRUNE_PER_WRITE = 20


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
    RESERVE_MS = aws.WORST_REQUEST_SECONDS * 1000

    def __init__(self, context=None):
        self.remaining = getattr(context, "get_remaining_time_in_millis", None)

    def near(self) -> bool:
        return self.remaining is not None and self.remaining() < self.RESERVE_MS


@dataclass(frozen=True)
class Effect:
    sequence: int
    deltas: dict  # (petition_id, country) -> +1 / -1
    label: str = ""  # the SequenceNumber exactly as the record wrote it (Lambda matches it as text)


@dataclass
class PetitionBatch:
    """The records of one batch that change one petition's counts, in stream order."""

    petition_id: str
    changes: list = field(default_factory=list)  # (sequence, {country: delta}, label), ascending

    @property
    def sequences(self) -> list[int]:
        return [change[0] for change in self.changes]

    @property
    def first_label(self) -> str:
        return self.changes[0][2]

    @property
    def deltas(self) -> dict[str, int]:
        summed: dict[str, int] = defaultdict(int)
        for _, deltas, _ in self.changes:
            for country, delta in deltas.items():
                summed[country] += delta
        return dict(summed)

    def above(self, mark: int) -> PetitionBatch:
        """Only the records after a stored high-water mark."""
        return PetitionBatch(self.petition_id, [c for c in self.changes if c[0] > mark])


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
    before, after = counted_as(images.get("OldImage")), counted_as(images.get("NewImage"))
    deltas = {}
    if before != after:
        if before:
            deltas[before] = -1
        if after:
            deltas[after] = deltas.get(after, 0) + 1
    return Effect(sequence, deltas, record["dynamodb"]["SequenceNumber"])


def group_by_petition(effects: list[Effect]) -> dict[str, PetitionBatch]:
    """Split a batch's effects per petition, in sequence order.

    Lambda delivers records in order the first time, but a redelivery may
    come out of order (its tumbling-window documentation says so): sorting
    keeps the first and last records the lowest and highest.
    """
    batches: dict[str, PetitionBatch] = {}
    for effect in sorted(effects, key=lambda e: e.sequence):
        per_petition: dict[str, dict[str, int]] = defaultdict(dict)
        for (petition_id, country), delta in effect.deltas.items():
            per_petition[petition_id][country] = delta
        for petition_id, deltas in per_petition.items():
            batches.setdefault(petition_id, PetitionBatch(petition_id)).changes.append(
                (effect.sequence, deltas, effect.label))
    return batches


def padded(sequence: int) -> str:
    return str(sequence).zfill(SEQUENCE_DIGITS)


# ---- applying a petition's deltas exactly once -----------------------------

_stale_marks: dict[str, set[str]] = {}  # petition -> shards whose marks can go


def reset() -> None:
    """Forget this container's view of idle shard marks."""
    _stale_marks.clear()


ABSENT = object()  # the expected mark when the petition has none for this shard yet


def _update_arguments(petition_id: str, shard: str, batch: PetitionBatch, expected, now: float) -> dict:
    """The conditional UpdateItem applying ``batch``.

    ``expected`` None: a first try, applied if the stored mark is below the
    batch's first record. A string (or ABSENT): a second try, applied only if
    the mark is still exactly what the failed first try saw.
    """
    names = {"#hw": totals.mark_attribute(shard), "#ht": totals.mark_time_attribute(shard),
             "#at": totals.UPDATED_AT}
    values: dict[str, object] = {":last": padded(batch.sequences[-1]), ":now": int(now), ":at": clock.stamp(now)}
    if expected is None:
        conditions = ["(attribute_not_exists(#hw) OR #hw < :first)"]
        values[":first"] = padded(batch.sequences[0])
    elif expected is ABSENT:
        conditions = ["attribute_not_exists(#hw)"]
    else:
        conditions = ["#hw = :expected"]
        values[":expected"] = expected
    adds = []
    for i, (country, delta) in enumerate(sorted(batch.deltas.items())):
        if delta:
            names[f"#c{i}"] = totals.country_attribute(country)
            values[f":d{i}"] = delta
            adds.append(f"#c{i} :d{i}")
    removes = []
    stale = sorted(_stale_marks.get(petition_id, set()) - {shard})[:PRUNE_PER_WRITE]
    for j, old_shard in enumerate(stale):
        names[f"#oh{j}"] = totals.mark_attribute(old_shard)
        names[f"#ot{j}"] = totals.mark_time_attribute(old_shard)
        removes += [f"#oh{j}", f"#ot{j}"]
        # Another container may have written to that shard's mark since we
        # saw it idle: then it is not stale, and this write must not drop it.
        conditions.append(f"#ot{j} < :cutoff")
    if removes:
        values[":cutoff"] = int(now - MARK_RETENTION_SECONDS)
    expression = "SET #hw = :last, #ht = :now, #at = :at"
    if adds:
        expression += " ADD " + ", ".join(adds)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    return {
        "TableName": config.settings().totals_table,
        "Key": totals.key(petition_id),
        "UpdateExpression": expression,
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": totals.typed(values),
        "ReturnValues": "ALL_NEW",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _note_stale_marks(petition_id: str, item: dict, now: float) -> None:
    _stale_marks[petition_id] = {shard for shard, written in totals.mark_times(item).items()
                                 if now - written > MARK_RETENTION_SECONDS}


def apply_petition(batch: PetitionBatch, shard: str, now: float | None = None,
                   deadline: Deadline | None = None) -> int:
    """Apply one petition's changes from one batch exactly once; return the writes made."""
    now = time.time() if now is None else now
    try:
        return _apply(batch, shard, now, deadline or Deadline())
    except Exception:
        # Whatever went wrong, the marks we meant to prune may be part of it
        # (a write refused as too large, say): start again from what the next
        # reply shows rather than retry the same write until Lambda gives up.
        _stale_marks.pop(batch.petition_id, None)
        raise


def _apply(batch: PetitionBatch, shard: str, now: float, deadline: Deadline) -> int:
    client = aws.dynamodb()
    petition_id = batch.petition_id
    try:
        reply = client.update_item(**_update_arguments(petition_id, shard, batch, None, now))
        writes = 1
    except ClientError as exc:
        if not aws.conditional_check_failed(exc):
            raise
        # The stored item says what happened: some of these records were
        # applied before (a redelivery), or a mark we meant to prune is live.
        item = exc.response.get("Item", {})
        _note_stale_marks(petition_id, item, now)
        stored = totals.stored_mark(item, shard)
        remaining = batch.above(int(stored)) if stored is not None else batch
        if not remaining.changes:
            return 1
        if deadline.near():
            raise OutOfTime(petition_id) from None  # nothing of this batch was applied: it is all redelivered
        expected = stored if stored is not None else ABSENT
        reply = client.update_item(**_update_arguments(petition_id, shard, remaining, expected, now))
        writes = 2
    _note_stale_marks(petition_id, reply.get("Attributes", {}), now)
    return writes


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

    batches = group_by_petition(effects)
    writes, left = 0, 0
    for batch in batches.values():
        if deadline.near():
            failed.append(batch.first_label)
            left += 1
            continue
        try:
            writes += apply_petition(batch, shard, deadline=deadline)
        except OutOfTime:
            failed.append(batch.first_label)
            left += 1
        except Exception as exc:
            code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
            log.warning("tally write failed petition=%s error=%s", batch.petition_id, code)
            failed.append(batch.first_label)
    if left:
        log.warning("tally stopped before the deadline shard=%s petitions_left=%d", shard, left)

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
