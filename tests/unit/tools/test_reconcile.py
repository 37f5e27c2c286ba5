"""The reconcile command: recount, compare, and repair only what is settled."""
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from chalicelib.aws import clients
from chalicelib.tally import totals
from tests.support.streams import event, read_moto_stream
from tools import reconcile


def sign(client, i, country):
    body = {"name": f"Signer {i}", "email": f"s{i}@example.org", "country": country, "consent": True}
    assert client.post("/petitions/demo/signatures", headers={"Content-Type": "application/json"},
                       body=json.dumps(body)).status_code == 202


def tally_stream(checkpoints=None):
    """Apply the whole stream, as the runner would, and record its checkpoints."""
    from tools.stream_consumers import app_handler

    arn = clients.dynamodb().describe_table(TableName="test-signatures")["Table"]["LatestStreamArn"]
    positions = {}
    for shard, records in read_moto_stream():
        app_handler("tally")(event(records, shard), None)
        if records:
            positions[shard] = {"sequence": records[-1]["dynamodb"]["SequenceNumber"]}
    if checkpoints:
        checkpoints.write_text(json.dumps({arn: positions}))


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


def test_repair_fixes_settled_drift(client, petition, capsys, tmp_path):
    checkpoints = tmp_path / "stream-checkpoints.json"
    for i, country in enumerate(["GB", "FR", "GB"]):
        sign(client, i, country)
    tally_stream(checkpoints)
    clients.dynamodb().update_item(TableName="test-totals", Key=totals.key("demo"),
                                   UpdateExpression="ADD #gb :n, #us :n",
                               ExpressionAttributeNames={"#gb": totals.country_attribute("GB"),
                                                         "#us": totals.country_attribute("US")},
                               ExpressionAttributeValues={":n": {"N": "3"}})
    assert reconcile.main(["--quiet-seconds", "0"]) == 1
    report = capsys.readouterr().out
    assert "demo GB: counted 2, stored 5, drift -3" in report
    assert reconcile.main(["--repair", "--quiet-seconds", "0", "--runner-checkpoints", str(checkpoints)]) == 0
    assert reconcile.check(quiet_seconds=0) == []
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {"GB": 2, "FR": 1}


def test_repair_never_undoes_an_increment_that_lands_meanwhile(client, petition):
    sign(client, 1, "GB")
    tally_stream()
    [drift] = [reconcile.Drift("demo", "GB", counted=1, stored=0, settled=True)]  # a stale comparison
    assert reconcile.repair(drift) is False  # the counter is 1 now, not the 0 the comparison saw
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {"GB": 1}


def test_repair_refuses_without_a_way_to_see_the_stream_backlog(tables, capsys):
    assert reconcile.main(["--repair"]) == 2
    assert "caught up" in capsys.readouterr().err


def test_no_repair_while_the_tally_is_behind(client, petition, tmp_path):
    """An old signature the tally has not applied yet is drift only until it catches up: never repair it."""
    from chalicelib.signing import signature_store as signing
    from chalicelib.signing import submission

    sig, _ = submission.validate({"name": "Ann", "email": "ann@example.org", "country": "GB", "consent": True})
    signing.store(signing.build("demo", sig, datetime.now(UTC) - timedelta(minutes=10)))
    checkpoints = tmp_path / "none-yet.json"
    drifts = reconcile.check(runner_checkpoints=checkpoints)
    # It is missing from its country and from its source bucket (no code: direct), neither settled.
    assert {(d.country, d.settled) for d in drifts} == {("GB", False), ("source:direct", False)}
    assert reconcile.main(["--repair", "--runner-checkpoints", str(checkpoints)]) == 1
    tally_stream(checkpoints)  # the tally catches up and counts it, once
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {"GB": 1}
    assert reconcile.check(runner_checkpoints=checkpoints) == []


def test_iterator_age_in_cloudwatch_tells_whether_the_deployed_tally_is_behind(tables):
    import time

    cloudwatch = clients.cloudwatch()
    cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=[{
        "MetricName": "IteratorAge", "Dimensions": [{"Name": "FunctionName", "Value": "countersign-dev-tally"}],
        "Value": 600_000, "Unit": "Milliseconds"}])
    assert reconcile.behind_from_cloudwatch("countersign-dev-tally", time.time() - 300, quiet_seconds=120)
    assert not reconcile.behind_from_cloudwatch("other-function", time.time() - 300, quiet_seconds=120)
