"""The optional CAPTCHA and the trending detector's alarm in the deploy template, after the SAM transform."""
from __future__ import annotations

import json

from chalicelib.aws import config as settings_module
from chalicelib.aws import metrics
from chalicelib.fraud import trending
from tests.support.deploy import CHALLENGE_SECRET_ARN, resolve, resources


def test_the_site_key_is_a_stack_parameter_the_api_reads(template):
    parameter = template["Parameters"]["ChallengeSiteKey"]
    assert parameter["Default"] == ""  # nothing to set until a petition turns its challenge on
    variables = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["CHALLENGE_SITE_KEY"] == {"Ref": "ChallengeSiteKey"}


def test_the_secret_stays_in_ssm_and_the_api_may_read_exactly_that_parameter(packaged):
    for stage, text in packaged.items():
        deployed = json.loads(text)
        variables = deployed["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
        assert variables["CHALLENGE_SECRET_PARAMETER"] == f"/countersign/{stage}/challenge-secret"
        assert "CHALLENGE_SECRET" not in variables, "the secret never goes into the template"
        granted = resolve(CHALLENGE_SECRET_ARN, deployed, stage)
        assert granted.endswith(f":parameter/countersign/{stage}/challenge-secret")
        # The real provider unless told otherwise: only make run and the tests point elsewhere.
        assert "CHALLENGE_VERIFY_URL" not in variables
    assert settings_module.Settings.__dataclass_fields__["challenge_verify_url"].default.startswith(
        "https://challenges.cloudflare.com/")


def test_an_alarm_watches_the_trending_detectors_metric_from_the_tally(template):
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
              if a["Properties"].get("MetricName") == trending.METRIC]
    (alarm,) = alarms
    assert alarm["Namespace"] == metrics.NAMESPACE
    # The detector runs inside the tally, so the tally's function emits the metric (chalicelib/aws/metrics.py).
    assert alarm["Dimensions"] == [{"Name": metrics.DIMENSION, "Value": {"Ref": "OnSignatureChange"}}]
    assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    assert "make invalidate" in alarm["AlarmDescription"]
