"""Create the tables from the deployment template, the one source of truth.

The local stack, the tests and the benchmarks all call ``create_tables`` so
their tables are exactly the ones CloudFormation creates.
"""
from __future__ import annotations

import json
from pathlib import Path

from chalicelib.aws import clients, config

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "resources.json"

# Logical id in the template -> the setting that names the table.
TABLE_SETTINGS = {
    "SignaturesTable": "signatures_table",
    "PetitionsTable": "petitions_table",
    "TotalsTable": "totals_table",
    "AdminTable": "admin_table",
    "AuditTable": "audit_table",
}


def template() -> dict:
    return json.loads(TEMPLATE.read_text())


def table_definitions() -> dict[str, dict]:
    """CreateTable arguments for each table, named from the current settings."""
    s = config.settings()
    resources = template()["Resources"]
    definitions = {}
    for logical_id, setting in TABLE_SETTINGS.items():
        props = resources[logical_id]["Properties"]
        args = {
            "TableName": getattr(s, setting),
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props["BillingMode"],
        }
        if "StreamSpecification" in props:
            args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        definitions[logical_id] = args
    return definitions


def time_to_live() -> dict[str, str]:
    """The TTL attribute of each table that has one, by table name (from the current settings)."""
    s = config.settings()
    resources = template()["Resources"]
    found = {}
    for logical_id, setting in TABLE_SETTINGS.items():
        spec = resources[logical_id]["Properties"].get("TimeToLiveSpecification")
        if spec and spec.get("Enabled"):
            found[getattr(s, setting)] = spec["AttributeName"]
    return found


def create_tables(client=None) -> list[str]:
    """Create any missing table, and switch on TTL where the template does; return the names created."""
    client = client or clients.dynamodb()
    existing = set(client.list_tables()["TableNames"])
    created = []
    for args in table_definitions().values():
        if args["TableName"] in existing:
            found = client.describe_table(TableName=args["TableName"])["Table"]["KeySchema"]
            if found != args["KeySchema"]:
                raise SystemExit(f"table {args['TableName']} exists with the key {found}, not the template's "
                                 f"{args['KeySchema']}: use another table name (or clear the local data)")
            continue
        client.create_table(**args)
        client.get_waiter("table_exists").wait(TableName=args["TableName"])
        created.append(args["TableName"])
    for table, attribute in time_to_live().items():
        # Tables made before the template had TTL get it too (a `make run` data folder from earlier).
        status = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"]
        if status not in ("ENABLED", "ENABLING"):
            client.update_time_to_live(TableName=table,
                                       TimeToLiveSpecification={"AttributeName": attribute, "Enabled": True})
    return created
