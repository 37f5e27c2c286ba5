"""Recount every petition from the signatures table and compare with the stored totals.

    python -m tools.reconcile            # report drift per petition and country
    python -m tools.reconcile --repair   # and correct the drift that is settled

Safe while signatures keep arriving:
- the signatures table is read by a parallel Scan, and the totals are read
  before and after it; a (petition, country) whose counter moved during the
  scan, or that had a signature created within the last QUIET_SECONDS (which
  the stream may not have applied yet), is reported as unsettled and left
  alone this time;
- a repair needs proof that the stream tally is not behind: otherwise it
  would add signatures the tally is still going to add. Deployed, that is
  the tally function's IteratorAge in CloudWatch (``--tally-function``);
  locally, the stream runner's checkpoints (``--runner-checkpoints``) with no
  record waiting behind them. Without either, ``--repair`` refuses;
- a repair is an ADD of the difference to the petition's base item, in one
  transaction conditional on every item the total was summed from still
  holding the value the comparison used, so an increment that lands in
  between makes the repair fail harmlessly instead of being undone.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from botocore.exceptions import ClientError

from chalicelib.aws import clients, clock, config
from chalicelib.aws.models import SignatureStatus
from chalicelib.tally import totals

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


def _scan_segment(client, table: str, segment: int, segments: int, consistent: bool) -> tuple[Counter, dict]:
    counts: Counter = Counter()
    latest: dict = {}
    kwargs = {
        "TableName": table,
        "Segment": segment,
        "TotalSegments": segments,
        "ConsistentRead": consistent,
        "ProjectionExpression": "petition_id, country, #s, created_at, #cs",
        "ExpressionAttributeNames": {"#s": "status", "#cs": totals.COUNTED_SOURCE},
    }
    for page in client.get_paginator("scan").paginate(**kwargs):
        for item in page["Items"]:
            if "petition_id" not in item or "country" not in item:
                continue  # not a signature the tally could count either
            petition_id = item["petition_id"]["S"]
            bucket = totals.source_bucket(item.get(totals.COUNTED_SOURCE, {}).get("S"))
            created = item.get("created_at", {}).get("S", "")
            # Each signature counts for its country and for its source bucket, as the tally counts it.
            for key in ((petition_id, item["country"]["S"]), (petition_id, totals.SOURCE_KEY + bucket)):
                latest[key] = max(latest.get(key, ""), created)
                if item.get("status", {}).get("S") == SignatureStatus.CONFIRMED:
                    counts[key] += 1
    return counts, latest


def recount(segments: int = 4, *, client=None, table: str | None = None,
            consistent: bool = False) -> tuple[Counter, dict]:
    """Confirmed signatures per (petition, country), and each pair's latest created_at.

    By default the configured signatures table through the app's client;
    tests name another engine's client and table.
    """
    client = client or clients.dynamodb()
    table = table or config.settings().signatures_table
    counts: Counter = Counter()
    latest: dict = {}
    with ThreadPoolExecutor(max_workers=segments) as pool:
        parts = pool.map(lambda s: _scan_segment(client, table, s, segments, consistent), range(segments))
        for part_counts, part_latest in parts:
            counts.update(part_counts)
            for key, created in part_latest.items():
                latest[key] = max(latest.get(key, ""), created)
    return counts, latest


def stored_counts() -> Counter:
    """Every stored country and source bucket total, per (petition, name): items summed as /totals sums them."""
    items: dict[str, list[dict]] = defaultdict(list)
    client = clients.dynamodb()
    for page in client.get_paginator("scan").paginate(TableName=config.settings().totals_table):
        for item in page["Items"]:
            items[totals.petition_of(item)].append(item)
    counts: Counter = Counter()
    for petition_id, petition_items in items.items():
        for country, count in totals.summed_counters(petition_items).items():
            counts[(petition_id, country)] = count
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


def behind_from_cloudwatch(function_name: str, since: float, quiet_seconds: int) -> bool | None:
    """Deployed: did the tally's IteratorAge exceed the quiet period since ``since``?

    None when CloudWatch has no datapoint at all: Lambda emits IteratorAge only
    for batches it processes, so an idle tally, a throttled one and a stalled
    one look the same. None means unknown, never caught up (test ``is False``).
    """
    cloudwatch = clients.cloudwatch()
    now = clock.utc_now()
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="IteratorAge",
        Dimensions=[{"Name": "FunctionName", "Value": function_name}],
        StartTime=clock.as_utc(since) - timedelta(minutes=1), EndTime=now + timedelta(minutes=1),
        Period=60, Statistics=["Maximum"],
    )["Datapoints"]
    if not points:
        return None
    return any(point["Maximum"] >= quiet_seconds * 1000 for point in points)


def behind_from_runner(checkpoint_path: Path, before: float) -> bool:
    """Locally: is any record created before ``before`` still waiting behind the runner's checkpoints?"""
    s = config.settings()
    streams = clients.dynamodb_streams()
    arn = clients.dynamodb().describe_table(TableName=s.signatures_table)["Table"].get("LatestStreamArn")
    if not arn:
        return False
    try:
        positions = json.loads(Path(checkpoint_path).read_text()).get(arn, {})
    except FileNotFoundError:
        positions = {}
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        state = positions.get(shard["ShardId"], {})
        if state.get("finished"):
            continue
        where = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": state["sequence"]}
                 if state.get("sequence") else {"ShardIteratorType": "TRIM_HORIZON"})
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], **where)["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=1)["Records"]
        if records and clock.epoch(records[0]["dynamodb"]["ApproximateCreationDateTime"]) < before:
            return True
    return False


def check(segments: int = 4, quiet_seconds: int = QUIET_SECONDS, *, tally_function: str | None = None,
          runner_checkpoints: Path | None = None) -> list[Drift]:
    """The drift now; pairs are settled only if the tally is provably caught up (when a way to tell is given)."""
    started = time.time()
    drifts = _compare_now(segments, quiet_seconds, started)
    if tally_function:
        behind = behind_from_cloudwatch(tally_function, started - quiet_seconds, quiet_seconds)
        if behind is None and drifts:
            print(f"No IteratorAge datapoints for {tally_function} in the last {quiet_seconds + 60} seconds: "
                  "the tally may be idle, throttled or stalled, so whether it has caught up is unknown. "
                  "Drift is reported, not repaired.", file=sys.stderr)
    elif runner_checkpoints:
        behind = behind_from_runner(runner_checkpoints, started)
    else:
        return drifts
    if behind is not False:
        drifts = [Drift(d.petition_id, d.country, d.counted, d.stored, settled=False) for d in drifts]
    return drifts


def _compare_now(segments: int, quiet_seconds: int, started: float) -> list[Drift]:
    quiet_since = clock.stamp(started - quiet_seconds)
    before = stored_counts()
    counted, latest = recount(segments)
    after = stored_counts()
    return compare(counted, before, after, latest, quiet_since)


# A transaction holds at most 100 items: the base item and the shard items holding the country.
MAX_ITEMS_CHECKED = 99


def repair_arguments(drift: Drift, items: list[dict]) -> dict | None:
    """One transaction adding the difference to the base item, if every item it was computed from is unchanged.

    The petition's total for a country is spread over its base item and its
    live shard items: the transaction checks each one that holds the country
    still holds the value read, and that no fold moved counts meanwhile.
    None when too many items hold it to check in one transaction.
    """
    attribute = totals.counter_attribute(drift.country)
    base = next((item for item in items if totals.is_base(item)), {})
    number = totals.folds(base)
    holding = [item for item in items if not totals.is_base(item) and attribute in item
               and ((folded := totals.folded(item)) is None or folded > number)]
    if len(holding) > MAX_ITEMS_CHECKED - 1:
        return None
    table = config.settings().totals_table
    names = {"#c": attribute, "#n": totals.FOLDS}
    values: dict[str, object] = {":difference": drift.difference}
    conditions = ["attribute_not_exists(#n)" if number == 0 else "#n = :n"]
    if number:
        values[":n"] = number
    if attribute in base:
        conditions.append("#c = :base")
        values[":base"] = totals.counters(base)[drift.country]
    else:
        conditions.append("attribute_not_exists(#c)")
    transaction = [{"Update": {
        "TableName": table, "Key": totals.key(drift.petition_id), "UpdateExpression": "ADD #c :difference",
        "ConditionExpression": " AND ".join(conditions), "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": totals.typed(values)}}]
    for item in holding:
        transaction.append({"ConditionCheck": {
            "TableName": table, "Key": totals.item_key(item), "ConditionExpression": "#c = :v",
            "ExpressionAttributeNames": {"#c": attribute},
            "ExpressionAttributeValues": totals.typed({":v": totals.counters(item)[drift.country]})}})
    return {"TransactItems": transaction}


def repair(drift: Drift) -> bool:
    """Add the difference unless the petition's total moved since it was read. True when applied."""
    items = totals.petition_items(drift.petition_id)
    if totals.summed_counters(items).get(drift.country, 0) != drift.stored:
        return False
    arguments = repair_arguments(drift, items)
    if arguments is None:
        print(f"{drift.petition_id} {drift.country}: held by too many live shard items to repair in one "
              "transaction; run again once the tally has folded idle ones", file=sys.stderr)
        return False
    try:
        clients.dynamodb().transact_write_items(**arguments)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            return False
        raise
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.reconcile", description=__doc__.splitlines()[0])
    parser.add_argument("--repair", action="store_true", help="correct settled drift")
    parser.add_argument("--segments", type=int, default=4, help="parallel Scan segments")
    parser.add_argument("--quiet-seconds", type=int, default=QUIET_SECONDS,
                        help="leave alone countries with a signature newer than this")
    parser.add_argument("--tally-function", default=os.environ.get("TALLY_FUNCTION"),
                        help="deployed: the stream tally's function name (its IteratorAge shows any backlog)")
    parser.add_argument("--runner-checkpoints", type=Path, default=os.environ.get("STREAM_CHECKPOINTS"),
                        help="local: the stream runner's checkpoint file")
    args = parser.parse_args(argv)
    if args.repair and not (args.tally_function or args.runner_checkpoints):
        print("--repair needs a way to tell that the stream tally has caught up, or it could add signatures "
              "the tally is about to add: pass --tally-function NAME (AWS) or --runner-checkpoints FILE (local).",
              file=sys.stderr)
        return 2
    drifts = check(args.segments, args.quiet_seconds, tally_function=args.tally_function,
                   runner_checkpoints=args.runner_checkpoints)
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
