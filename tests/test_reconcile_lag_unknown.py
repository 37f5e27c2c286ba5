"""Reconcile against a deployed tally: no IteratorAge datapoint is no proof that it has caught up.

Lambda emits IteratorAge only for batches it processes, so a tally that is
throttled or stalled reports nothing, exactly like an idle one. A repair made
then could add signatures the tally is still going to add.
"""
import time
from datetime import datetime, timedelta, timezone

from chalicelib import aws
from tools import reconcile

TALLY = "countersign-dev-tally"


def iterator_age(milliseconds, function=TALLY):
    aws.cloudwatch().put_metric_data(Namespace="AWS/Lambda", MetricData=[{
        "MetricName": "IteratorAge", "Dimensions": [{"Name": "FunctionName", "Value": function}],
        "Value": milliseconds, "Unit": "Milliseconds"}])


def drift_of_one():
    """A signature from ten minutes ago that the tally never counted (the stream is not applied here)."""
    from chalicelib import signing, submission

    sig, _ = submission.validate({"name": "Ann", "email": "ann@example.org", "country": "GB", "consent": True})
    signing.store(signing.build("demo", sig, datetime.now(timezone.utc) - timedelta(minutes=10)))


def test_no_datapoints_is_unknown_not_caught_up(tables):
    assert reconcile.behind_from_cloudwatch(TALLY, time.time() - 300, quiet_seconds=120) is None
    iterator_age(1_000)
    assert reconcile.behind_from_cloudwatch(TALLY, time.time() - 300, quiet_seconds=120) is False
    iterator_age(600_000)
    assert reconcile.behind_from_cloudwatch(TALLY, time.time() - 300, quiet_seconds=120) is True


def test_without_datapoints_drift_is_reported_but_not_repaired(client, petition, capsys):
    drift_of_one()
    [drift] = reconcile.check(tally_function=TALLY)
    assert drift.settled is False
    assert "No IteratorAge datapoints" in capsys.readouterr().err

    assert reconcile.main(["--repair", "--tally-function", TALLY]) == 1
    out, err = capsys.readouterr()
    assert "unsettled" in out and "repaired" not in out
    assert "whether it has caught up is unknown" in err
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {}


def test_a_datapoint_showing_the_tally_caught_up_allows_the_repair(client, petition, capsys):
    drift_of_one()
    iterator_age(1_000)
    assert reconcile.main(["--repair", "--tally-function", TALLY]) == 0
    assert "-> repaired" in capsys.readouterr().out
    assert client.get("/petitions/demo/totals").json_body["by_country"] == {"GB": 1}
