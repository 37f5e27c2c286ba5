"""Reconcile against a deployed tally: no IteratorAge datapoint is no proof that it has caught up.

Lambda emits IteratorAge only for batches it processes, so a tally that is
throttled or stalled reports nothing, exactly like an idle one. A repair made
then could add signatures the tally is still going to add.
"""
import json
import time
from datetime import UTC, datetime, timedelta

from chalicelib.aws import clients
from tools import reconcile

TALLY = "countersign-dev-tally"


def iterator_age(milliseconds, function=TALLY):
    clients.cloudwatch().put_metric_data(Namespace="AWS/Lambda", MetricData=[{
        "MetricName": "IteratorAge", "Dimensions": [{"Name": "FunctionName", "Value": function}],
        "Value": milliseconds, "Unit": "Milliseconds"}])


def drift_of_one(client):
    """A signature from ten minutes ago that the tally never counted (the stream is not applied here)."""
    body = {"name": "Ann", "email": "ann@example.org", "country": "GB", "consent": True}
    assert client.post("/petitions/demo/signatures", headers={"Content-Type": "application/json"},
                       body=json.dumps(body)).status_code == 202
    dynamodb = clients.dynamodb()
    [item] = dynamodb.scan(TableName="test-signatures")["Items"]
    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
    item["created_at"] = {"S": ten_minutes_ago.strftime("%Y-%m-%dT%H:%M:%SZ")}  # what reconcile's quiet period reads
    dynamodb.put_item(TableName="test-signatures", Item=item)


def test_no_datapoints_is_unknown_not_caught_up(tables):
    assert reconcile.behind_from_cloudwatch(TALLY, time.time() - 300, quiet_seconds=120) is None
    iterator_age(1_000)
    assert reconcile.behind_from_cloudwatch(TALLY, time.time() - 300, quiet_seconds=120) is False
    iterator_age(600_000)
    assert reconcile.behind_from_cloudwatch(TALLY, time.time() - 300, quiet_seconds=120) is True


def test_without_datapoints_drift_is_reported_but_not_repaired(client, petition, capsys):
    drift_of_one(client)
    drifts = reconcile.check(tally_function=TALLY)  # its country and its source bucket
    assert [d.settled for d in drifts] == [False, False]
    assert "No IteratorAge datapoints" in capsys.readouterr().err

    assert reconcile.main(["--repair", "--tally-function", TALLY]) == 1
    out, err = capsys.readouterr()
    assert "unsettled" in out and "repaired" not in out
    assert "whether it has caught up is unknown" in err
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {}


def test_a_datapoint_showing_the_tally_caught_up_allows_the_repair(client, petition, capsys):
    drift_of_one(client)
    iterator_age(1_000)
    assert reconcile.main(["--repair", "--tally-function", TALLY]) == 0
    assert "-> repaired" in capsys.readouterr().out
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {"GB": 1}
