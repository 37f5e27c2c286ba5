"""Invalidating (and revalidating) the signatures that match some criteria, so the totals follow.

The totals are never written here: each signature's status changes by one
conditional UpdateItem, and the tally subtracts (or adds back) it from the
stream like any other status change. So:

- **preview** scans the petition's signatures that match and are in a state
  the change applies to, and counts them by country (nothing is written);
- **apply** changes each match with a condition that it is still in that
  state: running it twice changes nothing the second time, and a signature
  someone else changed in between is skipped, not overwritten. An
  invalidated signature remembers its status before (confirmed or pending)
  in ``invalidated_from``; revalidating gives it back;
- updates are paced (``rate`` per second) so neither the table nor the tally
  sees a flood; a checkpoint (the scan's position after each finished page)
  lets an interrupted run resume where it stopped;
- every run leaves an audit record: who, the criteria, the counts. The
  criteria carry the IP *hash*, never an address.

The scan reads the whole signatures table (there is no index by petition;
one would cost a write on every signature). At DynamoDB's 1 MB pages that
is some 4,000 signatures a page; a run over ten million signatures reads
about 1,300 MB of eventually consistent data (~330,000 read units).
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from botocore.exceptions import ClientError

from chalicelib.audit import trail
from chalicelib.aws import clients, clock, config
from chalicelib.aws.models import SignatureStatus
from chalicelib.fraud import blocklists, identity
from chalicelib.identity import canonical_email

DEFAULT_RATE = 100  # status changes a second: well inside one tally batch a second and the table's warm capacity


class Direction(StrEnum):
    INVALIDATE = "invalidate"
    REVALIDATE = "revalidate"


# The states each direction changes; anything else (fraudulent, or already changed) is left alone.
FROM: dict[Direction, tuple[SignatureStatus, ...]] = {
    Direction.INVALIDATE: (SignatureStatus.CONFIRMED, SignatureStatus.PENDING),
    Direction.REVALIDATE: (SignatureStatus.INVALIDATED,),
}


class BadCriteria(ValueError):
    """Criteria that cannot select anything sensibly (the message says why, for a person)."""


@dataclass(frozen=True)
class Criteria:
    """Which signatures of one petition: every given criterion must hold."""

    petition_id: str
    ip_hash: str | None = None
    domain: str | None = None  # a domain or a pattern as in the blocklists (*.example.org, **.example.org)
    country: str | None = None
    since: str | None = None  # created at or after (a stored stamp, 2026-11-29T07:22:01Z)
    until: str | None = None  # created before
    source: str | None = None  # the campaign code

    def __post_init__(self):
        if self.domain is not None:
            try:
                blocklists.domain_pattern(self.domain)
            except blocklists.BadList as exc:
                raise BadCriteria(str(exc)) from None
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                try:
                    object.__setattr__(self, name, clock.stamp(clock.parse(value)))
                except ValueError:
                    raise BadCriteria(f"--{name} {value!r} is not a date and time (2026-11-29T07:22:01Z)") from None
        if self.country is not None:
            object.__setattr__(self, "country", self.country.upper())
        if not any((self.ip_hash, self.domain, self.country, self.since, self.until, self.source)):
            raise BadCriteria("name at least one criterion besides the petition: a whole petition is not invalidated "
                              "by accident")

    def as_record(self) -> dict:
        """The criteria for the audit log (no address: the IP is already a keyed hash)."""
        return {name: value for name, value in asdict(self).items() if value is not None}

    @property
    def key(self) -> str:
        """A stable name for these criteria (for the checkpoint file)."""
        return hashlib.sha256(json.dumps(self.as_record(), sort_keys=True).encode()).hexdigest()[:16]

    def matches_domain(self, item: dict) -> bool:
        """The domain criterion, checked on the item (DynamoDB has no ends-with filter)."""
        if self.domain is None:
            return True
        email = item.get("email", {}).get("S", "")
        return blocklists.domain_pattern(self.domain).matches(identity.email_domain(email))


def criteria_with_address(petition_id: str, address: str | None = None, **given) -> Criteria:
    """Criteria where an operator gave a raw address (from WAF logs, say): it is hashed with the stage's key."""
    if address is not None:
        hashed = identity.ip_hash(address, canonical_email.hash_secret())
        if hashed is None:
            raise BadCriteria(f"{address!r} is not an IP address")
        given["ip_hash"] = hashed
    return Criteria(petition_id, **given)


def _scan_arguments(criteria: Criteria, direction: Direction) -> dict:
    names = {"#p": "petition_id", "#s": "status", "#c": "country", "#k": "signature_key"}
    values: dict[str, dict] = {":p": {"S": criteria.petition_id}}
    states = []
    for i, state in enumerate(FROM[direction]):
        values[f":s{i}"] = {"S": str(state)}
        states.append(f":s{i}")
    conditions = ["#p = :p", f"#s IN ({', '.join(states)})"]
    for attribute, value, test in (("ip_hash", criteria.ip_hash, "="), ("country", criteria.country, "="),
                                   ("source", criteria.source, "="), ("created_at", criteria.since, ">="),
                                   ("created_at", criteria.until, "<")):
        if value is not None:
            name, placeholder = f"#{attribute}", f":{attribute}{len(values)}"
            names[name] = attribute
            values[placeholder] = {"S": value}
            conditions.append(f"{name} {test} {placeholder}")
    projection = ["#k", "#c", "#s"]
    if criteria.domain is not None:
        names["#e"] = "email"
        projection.append("#e")
    return {"TableName": config.settings().signatures_table, "FilterExpression": " AND ".join(conditions),
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
            "ProjectionExpression": ", ".join(projection)}


def pages(criteria: Criteria, direction: Direction, start: dict | None = None,
          consistent: bool = False) -> Iterator[tuple[list[dict], dict | None]]:
    """The matching items, a scan page at a time, with the position after each page (None at the end)."""
    arguments = {**_scan_arguments(criteria, direction), "ConsistentRead": consistent}
    client = clients.dynamodb()
    while True:
        page = client.scan(**arguments, **({"ExclusiveStartKey": start} if start else {}))
        items = [item for item in page.get("Items", []) if criteria.matches_domain(item)]
        start = page.get("LastEvaluatedKey")
        yield items, start
        if not start:
            return


def preview(criteria: Criteria, direction: Direction = Direction.INVALIDATE) -> Counter:
    """How many signatures a run would change, by country (nothing is written)."""
    counts: Counter = Counter()
    for items, _ in pages(criteria, direction, consistent=True):
        counts.update(item["country"]["S"] for item in items)
    return counts


class Pacer:
    """At most ``rate`` calls of ``wait`` return per second (``rate`` 0 or less: no limit)."""

    def __init__(self, rate: float, sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], float] = time.monotonic):
        self.interval = 1 / rate if rate > 0 else 0.0
        self.sleep, self.now = sleep, now
        self.next = now()

    def wait(self) -> None:
        current = self.now()
        if current < self.next:
            self.sleep(self.next - current)
        self.next = max(self.next, current) + self.interval


def _update_arguments(key: dict, petition_id: str, direction: Direction) -> dict:
    names = {"#s": "status", "#p": "petition_id", "#f": "invalidated_from"}
    if direction is Direction.INVALIDATE:
        values = {":to": {"S": SignatureStatus.INVALIDATED}, ":p": {"S": petition_id},
                  ":c": {"S": SignatureStatus.CONFIRMED}, ":w": {"S": SignatureStatus.PENDING}}
        # The right-hand #s is the status before this update: it is what revalidation restores.
        expression, condition = "SET #s = :to, #f = #s", "#p = :p AND #s IN (:c, :w)"
    else:
        values = {":inv": {"S": SignatureStatus.INVALIDATED}, ":p": {"S": petition_id},
                  ":c": {"S": SignatureStatus.CONFIRMED}}
        expression, condition = "SET #s = if_not_exists(#f, :c) REMOVE #f", "#p = :p AND #s = :inv"
    return {"TableName": config.settings().signatures_table, "Key": key, "UpdateExpression": expression,
            "ConditionExpression": condition, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


@dataclass
class Progress:
    """A run's counts so far, and where its scan stands (saved as the checkpoint)."""

    criteria: str
    direction: str
    position: dict | None = None
    changed: int = 0
    skipped: int = 0  # changed by someone else between the scan and the update
    by_country: dict[str, int] = field(default_factory=dict)
    complete: bool = False


class Checkpoint:
    """A run's progress in a JSON file: an interrupted run started again resumes after the last finished page."""

    def __init__(self, path: Path | None):
        self.path = path

    def load(self, criteria: Criteria, direction: Direction) -> Progress:
        fresh = Progress(criteria.key, str(direction))
        if self.path is None or not self.path.exists():
            return fresh
        saved = Progress(**json.loads(self.path.read_text()))
        return saved if (saved.criteria, saved.direction) == (fresh.criteria, fresh.direction) else fresh

    def save(self, progress: Progress) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(asdict(progress)))

    def clear(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


STOP_SECONDS = 5.0  # with ``time_left``: stop when less than this is left


def apply(criteria: Criteria, direction: Direction, actor: str, *, rate: float = DEFAULT_RATE,
          checkpoint: Checkpoint | None = None, time_left: Callable[[], float] | None = None,
          pacer: Pacer | None = None, stop_seconds: float = STOP_SECONDS) -> Progress:
    """Change every match, conditionally and at a bounded rate; audit the run; return its counts.

    With ``time_left`` (seconds, as in a Lambda request), the run stops as
    soon as less than ``stop_seconds`` is left, between two updates, and says
    it is not complete: starting it again continues (a page left half done is
    scanned again, and its conditions skip what is done).
    """
    checkpoint = checkpoint or Checkpoint(None)
    progress = checkpoint.load(criteria, direction)
    pacer = pacer or Pacer(rate)
    client = clients.dynamodb()
    by_country = Counter(progress.by_country)

    def out_of_time() -> bool:
        return time_left is not None and time_left() < stop_seconds

    for items, position in pages(criteria, direction, start=progress.position):
        stopped = False
        for item in items:
            if out_of_time():
                stopped = True
                break
            pacer.wait()
            try:
                client.update_item(**_update_arguments({"signature_key": item["signature_key"]},
                                                       criteria.petition_id, direction))
            except ClientError as exc:
                if not clients.conditional_check_failed(exc):
                    raise
                progress.skipped += 1
                continue
            progress.changed += 1
            by_country[item["country"]["S"]] += 1
        progress.by_country = dict(by_country)
        if stopped:  # the position stays at this page's start
            progress.complete = False
            checkpoint.save(progress)
            break
        progress.position = position
        progress.complete = position is None
        checkpoint.save(progress)
        if not progress.complete and out_of_time():
            break
    trail.record(actor, str(direction), criteria.petition_id, before=None,
                 after={"criteria": criteria.as_record(), "changed": progress.changed, "skipped": progress.skipped,
                        "by_country": dict(sorted(by_country.items())), "complete": progress.complete})
    if progress.complete:
        checkpoint.clear()
    return progress


def record_preview(criteria: Criteria, direction: Direction, actor: str, counts: Counter) -> None:
    """Audit a preview too: who looked for what, and how much it found."""
    trail.record(actor, f"{direction}-preview", criteria.petition_id, before=None,
                 after={"criteria": criteria.as_record(), "matching": sum(counts.values()),
                        "by_country": dict(sorted(counts.items()))})
