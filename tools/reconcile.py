"""Recount every petition from the signatures table and compare with the stored totals.

    python -m tools.reconcile            # report drift per petition and country
    python -m tools.reconcile --repair   # and correct the drift that is settled

Safe while signatures keep arriving:
- the signatures table is read by a parallel Scan, and the totals are read
  before and after it; a (petition, country) whose counter moved during the
  scan, or that had a signature created within the last QUIET_SECONDS (which
  the stream may not have applied yet), is reported as unsettled and left
  alone this time;
- a repair is an ADD of the difference, conditional on the counter still
  holding the value the comparison used, so an increment that lands in
  between makes the repair fail harmlessly instead of being undone.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from botocore.exceptions import ClientError

from chalicelib import aws, config
from chalicelib.models import CONFIRMED
from chalicelib.totals import COUNTRY_PREFIX

QUIET_SECONDS = 120


@dataclass(frozen=True)
class Drift:
    petition_id: str
    country: str
    counted: int
    stored: int
    settled: bool

    @property
    def difference(self) -> int:
        return self.counted - self.stored


def _scan_segment(segment: int, segments: int) -> tuple[Counter, dict]:
    client = aws.dynamodb()
    counts: Counter = Counter()
    latest: dict = {}
    kwargs = {
        "TableName": config.settings().signatures_table,
        "Segment": segment,
        "TotalSegments": segments,
        "ProjectionExpression": "petition_id, country, #s, created_at",
        "ExpressionAttributeNames": {"#s": "status"},
    }
    for page in client.get_paginator("scan").paginate(**kwargs):
        for item in page["Items"]:
            key = (item["petition_id"]["S"], item["country"]["S"])
            created = item.get("created_at", {}).get("S", "")
            latest[key] = max(latest.get(key, ""), created)
            if item.get("status", {}).get("S") == CONFIRMED:
                counts[key] += 1
    return counts, latest


def recount(segments: int = 4) -> tuple[Counter, dict]:
    """Confirmed signatures per (petition, country), and each pair's latest created_at."""
    counts: Counter = Counter()
    latest: dict = {}
    with ThreadPoolExecutor(max_workers=segments) as pool:
        for part_counts, part_latest in pool.map(lambda s: _scan_segment(s, segments), range(segments)):
            counts.update(part_counts)
            for key, created in part_latest.items():
                latest[key] = max(latest.get(key, ""), created)
    return counts, latest


def stored_counts() -> Counter:
    """Every stored country counter, per (petition, country)."""
    counts: Counter = Counter()
    client = aws.dynamodb()
    for page in client.get_paginator("scan").paginate(TableName=config.settings().totals_table):
        for item in page["Items"]:
            for attribute, value in item.items():
                if attribute.startswith(COUNTRY_PREFIX):
                    counts[(item["petition_id"]["S"], attribute[len(COUNTRY_PREFIX):])] = int(value["N"])
    return counts


def compare(counted: Counter, before: Counter, after: Counter, latest: dict, quiet_since: str) -> list[Drift]:
    """The drift per (petition, country); pure, so it is tested without AWS."""
    drifts = []
    for key in sorted(set(counted) | set(after) | set(before)):
        if counted[key] == after[key]:
            continue
        settled = before[key] == after[key] and latest.get(key, "") <= quiet_since
        drifts.append(Drift(key[0], key[1], counted[key], after[key], settled))
    return drifts


def check(segments: int = 4, quiet_seconds: int = QUIET_SECONDS) -> list[Drift]:
    started = time.time()
    quiet_since = datetime.fromtimestamp(started - quiet_seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = stored_counts()
    counted, latest = recount(segments)
    after = stored_counts()
    return compare(counted, before, after, latest, quiet_since)


def repair(drift: Drift) -> bool:
    """Add the difference unless the counter moved since it was read. True when applied."""
    attribute = COUNTRY_PREFIX + drift.country
    if drift.stored:
        condition, values = "#c = :stored", {":stored": {"N": str(drift.stored)}}
    else:
        condition, values = "attribute_not_exists(#c) OR #c = :zero", {":zero": {"N": "0"}}
    try:
        aws.dynamodb().update_item(
            TableName=config.settings().totals_table,
            Key={"petition_id": {"S": drift.petition_id}},
            UpdateExpression="ADD #c :difference",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#c": attribute},
            ExpressionAttributeValues={**values, ":difference": {"N": str(drift.difference)}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.reconcile", description=__doc__.splitlines()[0])
    parser.add_argument("--repair", action="store_true", help="correct settled drift")
    parser.add_argument("--segments", type=int, default=4, help="parallel Scan segments")
    parser.add_argument("--quiet-seconds", type=int, default=QUIET_SECONDS,
                        help="leave alone countries with a signature newer than this")
    args = parser.parse_args(argv)
    drifts = check(args.segments, args.quiet_seconds)
    if not drifts:
        print("no drift: every stored total matches a recount of the signatures")
        return 0
    remaining = 0
    for d in drifts:
        state = "settled" if d.settled else "unsettled (changing now; left alone)"
        action = ""
        if args.repair and d.settled:
            action = " -> repaired" if repair(d) else " -> skipped (counter moved)"
        if not action.endswith("repaired"):
            remaining += 1
        print(f"{d.petition_id} {d.country}: counted {d.counted}, stored {d.stored}, "
              f"drift {d.difference:+d}, {state}{action}")
    return 1 if remaining else 0


if __name__ == "__main__":
    sys.exit(main())
