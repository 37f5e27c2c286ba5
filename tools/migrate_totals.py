"""Copy the totals of the single-item totals table into the sharded one, once per petition.

    python -m tools.migrate_totals countersign-prod-totals

Before sharded counters each petition's totals were one item (key
``petition_id`` only) in ``<stack>-totals``; now they are a base item and one
item per stream shard in ``<stack>-totals-sharded`` (the table named by
TOTALS_TABLE). A deploy that brings the new table leaves the old one in place
(``UpdateReplacePolicy: Retain``); run this right after it, once the old
function version has stopped (its timeout, one minute, after the deploy):
every petition's counters are added to its new base item, with its goal.
Each base item records where its counts came from, so a second run changes
nothing. The old items' high-water marks are not copied: the new tally keeps
its own per shard. Afterwards ``make reconcile`` should report no drift.
"""
from __future__ import annotations

import argparse
import sys

from botocore.exceptions import ClientError

from chalicelib.aws import clients, config
from chalicelib.tally import totals


def is_single_item_table(table: str, client=None) -> bool:
    """Does ``table`` exist with the old layout's key (``petition_id`` alone)?"""
    client = client or clients.dynamodb()
    try:
        schema = client.describe_table(TableName=table)["Table"]["KeySchema"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return False
        raise
    return [k["AttributeName"] for k in schema] == [totals.PETITION]


def migration_arguments(old_item: dict, source: str) -> dict:
    """UpdateItem arguments adding one old item's counters (and goal) to the petition's base item, once."""
    names = {"#m": totals.MIGRATED_FROM}
    values: dict[str, object] = {":m": source}
    sets = ["#m = :m"]
    if totals.GOAL in old_item:
        names["#g"] = totals.GOAL
        values[":g"] = int(old_item[totals.GOAL]["N"])
        sets.append("#g = if_not_exists(#g, :g)")  # a goal set in the new table since is newer
    return {
        "TableName": config.settings().totals_table,
        "Key": totals.key(totals.petition_of(old_item)),
        "UpdateExpression": totals.adding_counts(sets, names, values, totals.counts(old_item)),
        "ConditionExpression": "attribute_not_exists(#m)",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": totals.typed(values),
    }


def migrate(old_table: str) -> tuple[int, int]:
    """Copy every petition of ``old_table``; return (copied, already copied before)."""
    client = clients.dynamodb()
    if not is_single_item_table(old_table, client):
        raise SystemExit(f"{old_table} is not a single-item totals table (key petition_id alone)")
    copied = skipped = 0
    for page in client.get_paginator("scan").paginate(TableName=old_table, ConsistentRead=True):
        for item in page["Items"]:
            try:
                client.update_item(**migration_arguments(item, old_table))
                copied += 1
            except ClientError as exc:
                if not clients.conditional_check_failed(exc):
                    raise
                skipped += 1
    return copied, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.migrate_totals", description=__doc__.splitlines()[0])
    parser.add_argument("old_table", help="the single-item totals table, e.g. countersign-prod-totals")
    args = parser.parse_args(argv)
    copied, skipped = migrate(args.old_table)
    print(f"copied {copied} petitions' totals into {config.settings().totals_table}"
          + (f"; {skipped} were copied before" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
