"""Moving a stage from single-item totals to sharded ones: counts and goals copied once, nothing counted twice."""
from __future__ import annotations

import pytest

from chalicelib.aws import clients
from chalicelib.tally import totals
from tests.support.streams import event, image, record
from tools import migrate_totals, reconcile, schema

OLD = "test-totals-single"


def old_table(client) -> None:
    """The single-item totals table as the tally before sharded counters left it."""
    client.create_table(TableName=OLD, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "petition_id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "petition_id", "KeyType": "HASH"}])
    client.put_item(TableName=OLD, Item={
        "petition_id": {"S": "demo"}, "goal": {"N": "1500000"}, "updated_at": {"S": "2026-11-27T20:00:00Z"},
        "c_GB": {"N": "7"}, "c_FR": {"N": "2"}, "c_DE": {"N": "0"},
        "hw_shardId-00000001764201600000-aaaaaaaa": {"S": "0" * 19 + "100000000000000000001"},
        "ht_shardId-00000001764201600000-aaaaaaaa": {"N": "1764201600"}})
    client.put_item(TableName=OLD, Item={"petition_id": {"S": "quiet"}, "goal": {"N": "10"}})


def test_counts_and_goals_are_copied_once_beside_what_the_new_tally_counted(tables, capsys):
    old_table(tables)
    stream_tally_counts_one_more_gb()
    assert migrate_totals.main([OLD]) == 0
    assert "copied 2 petitions' totals" in capsys.readouterr().out
    assert migrate_totals.migrate(OLD) == (0, 2)  # a second run changes nothing
    demo = totals.read("demo")
    assert demo["by_country"] == {"GB": 8, "FR": 2} and demo["goal"] == 1_500_000
    assert totals.read("quiet") == {"petition_id": "quiet", "total": 0, "by_country": {}, "goal": 10,
                                    "updated_at": None}
    base = next(item for item in totals.petition_items("demo") if totals.is_base(item))
    assert not any(name.startswith("hw_") for name in base)  # the old marks stay behind


def stream_tally_counts_one_more_gb():
    from chalicelib.tally import stream_tally

    stream_tally.handle(event([record(10 ** 22, None, image("demo", "GB", key="demo#new"))]))


def test_only_a_single_item_table_is_migrated(tables):
    with pytest.raises(SystemExit, match="not a single-item totals table"):
        migrate_totals.migrate("test-totals")


def test_tables_are_never_reused_with_another_key(tables, monkeypatch):
    old_table(tables)
    monkeypatch.setenv("TOTALS_TABLE", OLD)
    from chalicelib.aws import config

    config.reset()
    with pytest.raises(SystemExit, match=f"table {OLD} exists with the key"):
        schema.create_tables()
    config.reset()


def test_reconcile_reads_the_migrated_counts(client, petition):
    old_table(clients.dynamodb())
    migrate_totals.migrate(OLD)
    drifts = {(d.country, d.stored, d.counted) for d in reconcile.check(quiet_seconds=0)}
    assert drifts == {("GB", 7, 0), ("FR", 2, 0)}  # no signatures in this table: all of it is drift
