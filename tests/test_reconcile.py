"""The reconcile command: recount, compare, and repair only what is settled."""
import json
from collections import Counter

from chalicelib import aws
from tests.streams import event, read_moto_stream
from tools import reconcile


def sign(client, i, country):
    body = {"name": f"Signer {i}", "email": f"s{i}@example.org", "country": country, "consent": True}
    assert client.post("/petitions/demo/signatures", headers={"Content-Type": "application/json"},
                       body=json.dumps(body)).status_code == 202


def tally_stream():
    import app

    for shard, records in read_moto_stream():
        app.on_signature_change(event(records, shard), None)


def test_compare_reports_only_differences_and_flags_moving_counters():
    counted = Counter({("p", "GB"): 5, ("p", "FR"): 2, ("p", "DE"): 1})
    before = Counter({("p", "GB"): 5, ("p", "FR"): 3, ("p", "DE"): 0})
    after = Counter({("p", "GB"): 5, ("p", "FR"): 3, ("p", "DE"): 1, ("p", "US"): 1})
    latest = {("p", "FR"): "2026-01-01T00:00:00Z", ("p", "DE"): "2026-01-01T00:00:00Z"}
    drifts = reconcile.compare(counted, before, after, latest, quiet_since="2026-06-01T00:00:00Z")
    assert [(d.country, d.difference, d.settled) for d in drifts] == [("FR", -1, True), ("US", -1, False)]


def test_a_recent_signature_is_not_settled():
    drifts = reconcile.compare(Counter({("p", "GB"): 2}), Counter({("p", "GB"): 1}), Counter({("p", "GB"): 1}),
                               {("p", "GB"): "2026-06-01T00:00:05Z"}, quiet_since="2026-06-01T00:00:00Z")
    assert drifts[0].settled is False


def test_no_drift_after_tallying_the_stream(client, petition, capsys):
    for i, country in enumerate(["GB", "FR", "GB"]):
        sign(client, i, country)
    tally_stream()
    assert reconcile.main(["--quiet-seconds", "0"]) == 0
    assert "no drift" in capsys.readouterr().out


def test_repair_fixes_settled_drift(client, petition, capsys):
    for i, country in enumerate(["GB", "FR", "GB"]):
        sign(client, i, country)
    tally_stream()
    aws.dynamodb().update_item(TableName="test-totals", Key={"petition_id": {"S": "demo"}},
                               UpdateExpression="ADD c_GB :n, c_US :n", ExpressionAttributeValues={":n": {"N": "3"}})
    assert reconcile.main(["--quiet-seconds", "0"]) == 1
    report = capsys.readouterr().out
    assert "demo GB: counted 2, stored 5, drift -3" in report
    assert reconcile.main(["--repair", "--quiet-seconds", "0"]) == 0
    assert reconcile.check(quiet_seconds=0) == []
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {"GB": 2, "FR": 1}


def test_repair_never_undoes_an_increment_that_lands_meanwhile(client, petition):
    sign(client, 1, "GB")
    tally_stream()
    [drift] = [reconcile.Drift("demo", "GB", counted=1, stored=0, settled=True)]  # a stale comparison
    assert reconcile.repair(drift) is False  # the counter is 1 now, not the 0 the comparison saw
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {"GB": 1}
