"""The data-rights functions in the deployment: the export operation and its bucket, checked as data."""
from __future__ import annotations

import json

import pytest

from tests.support.deploy import Recorder, get_att, resources
from tools import package as packaging


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    sam = packaging.package("dev", tmp_path_factory.mktemp("rights") / "out")
    return json.loads(sam.read_text())


@pytest.fixture(scope="module")
def transformed(template):
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self):
            return {}

    expanded = json.loads(json.dumps(template))
    for resource in expanded["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/countersign/code.zip"
    return transform(expanded, {"Stage": "dev"}, NoManagedPolicies())


# ---- exports ------------------------------------------------------------------------

def test_the_export_bucket_is_private_encrypted_and_tls_only(template):
    (name, bucket), = resources(template, "AWS::S3::Bucket").items()
    assert name == "ExportBucket"
    properties = bucket["Properties"]
    assert "BucketName" not in properties  # CloudFormation names it: bucket names are global
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]  # no ACLs
    (policy,) = resources(template, "AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": "ExportBucket"}
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_exports_do_not_outlive_a_week_in_the_bucket(template):
    rules = template["Resources"]["ExportBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (rule,) = [r for r in rules if r["Status"] == "Enabled"]
    assert rule["Prefix"] == "exports/" and rule["ExpirationInDays"] <= 7
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1


def test_the_export_function_has_lambdas_full_15_minutes_room_and_the_bucket(template):
    properties = template["Resources"]["Export"]["Properties"]
    assert properties["Handler"] == "chalicelib.rights.routes.export_operation"
    assert properties["Timeout"] == 900 and properties["MemorySize"] >= 1024
    assert properties["EphemeralStorage"]["Size"] >= 2048  # the file is written to /tmp, then uploaded
    variables = properties["Environment"]["Variables"]
    assert variables["EXPORT_BUCKET"] == {"Ref": "ExportBucket"}
    assert variables["SIGNATURES_TABLE"] == {"Ref": "SignaturesTable"}
    assert variables["AUDIT_TABLE"] == {"Ref": "AuditTable"}
    assert properties["Role"] == get_att("ExportRole", "Arn")
    assert "Events" not in properties  # run on request only: the CLI or the admin area


def test_the_export_function_is_named_for_the_cli_and_the_outputs_say_so(template):
    assert template["Resources"]["Export"]["Properties"]["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-export"}
    assert template["Outputs"]["ExportFunctionName"] == {"Value": {"Ref": "Export"}}
    assert template["Outputs"]["ExportBucketName"] == {"Value": {"Ref": "ExportBucket"}}


def test_the_export_makes_only_the_calls_its_policy_allows(tables, monkeypatch):
    """Run the operation in moto against a bucket; every call is one its role grants."""
    from tests.support.deploy import EXPECTED_GRANTS, table_grants
    from tools import petition_admin

    grants = EXPECTED_GRANTS["ExportRole"]
    bucket = _bucket(monkeypatch)
    petition_admin.create("demo", "A petition", "Its summary.", 1000)
    recorder = Recorder(monkeypatch)
    from chalicelib.rights import delivery

    for kind in ("summary", "signatures", "updates"):
        assert "url" in delivery.handle({"petition_id": "demo", "kind": kind})
    allowed = table_grants("ExportRole") | {(action, bucket) for action, resource in grants
                                            if action.startswith("s3:")}
    # upload_file of a small file is one PutObject; presigning is local (no call)
    assert {call for call in recorder.calls if call[0].startswith("s3:")} <= {("s3:PutObject", None)}
    assert {call for call in recorder.calls if not call[0].startswith("s3:")} <= allowed


def _bucket(monkeypatch) -> str:
    from chalicelib.aws import clients
    from tools.caches import reset_caches

    monkeypatch.setenv("EXPORT_BUCKET", "countersign-test-exportbucket")
    reset_caches()
    clients.s3().create_bucket(Bucket="countersign-test-exportbucket")
    return "countersign-test-exportbucket"


def test_an_export_lands_in_the_bucket_with_a_link_that_expires_in_an_hour(tables, monkeypatch, client):
    from urllib.parse import parse_qs, urlsplit

    from chalicelib.audit import trail
    from chalicelib.aws import clients
    from chalicelib.rights import delivery
    from tests.support.moto_stack import sign, tally
    from tools import petition_admin

    bucket = _bucket(monkeypatch)
    petition_admin.create("demo", "A petition", "Its summary.", 1000)
    sign(client, "Amina Yusuf", "amina@example.org", "GB")
    sign(client, "Jean Dupont", "jean@example.org", "FR")
    tally()
    answer = delivery.handle({"petition_id": "demo", "kind": "signatures", "actor": "admin@example.org"})
    assert answer["rows"] == 2 and answer["expires_in"] == 3600
    query = parse_qs(urlsplit(answer["url"]).query)
    assert query["X-Amz-Expires"] == ["3600"]
    stored = clients.s3().get_object(Bucket=bucket, Key=answer["key"])
    body = stored["Body"].read().decode("utf-8")
    assert body.startswith("\ufeffname,") and "Jean Dupont" in body and "@" not in body
    assert stored["ContentType"].startswith("text/csv")
    entry = trail.latest()[0]
    assert (entry.actor, entry.action, entry.petition_id) == ("admin@example.org", "export signatures", "demo")
    assert entry.after is not None and entry.after["rows"] == 2


@pytest.mark.parametrize("event, message", [
    ({"kind": "summary"}, "petition_id"),
    ({"petition_id": "demo", "kind": "everything"}, "kind"),
    ({"petition_id": "demo", "kind": "summary", "format": "xlsx"}, "format"),
    ({"petition_id": "no-such", "kind": "summary"}, "There is no petition"),
    ("not an object", "JSON object"),
])
def test_a_bad_request_gets_an_error_message_not_a_crash(tables, monkeypatch, event, message):
    from chalicelib.rights import delivery
    from tools import petition_admin

    _bucket(monkeypatch)
    petition_admin.create("demo", "A petition", "Its summary.", 1000)
    assert message in delivery.handle(event)["error"]


# ---- retention ----------------------------------------------------------------------

def test_retention_runs_daily_with_lambdas_full_15_minutes(template):
    properties = template["Resources"]["Retention"]["Properties"]
    assert properties["Handler"] == "chalicelib.rights.routes.retention_schedule"
    assert properties["Timeout"] == 900
    assert properties["Events"] == {"RetentionEvent": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)"}}}
    assert properties["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-retention"}
    assert properties["Role"] == get_att("RetentionRole", "Arn")


def test_the_retention_period_is_a_stack_parameter_defaulting_to_90_days(template):
    parameter = template["Parameters"]["RetentionDays"]
    assert parameter["Type"] == "Number" and parameter["Default"] == 90 and parameter["MinValue"] == 0
    variables = template["Resources"]["Retention"]["Properties"]["Environment"]["Variables"]
    assert variables["RETENTION_DAYS"] == {"Ref": "RetentionDays"}
    assert variables["SIGNATURES_TABLE"] == {"Ref": "SignaturesTable"}


def test_the_schedule_becomes_a_rule_that_may_invoke_only_the_retention_function(transformed):
    rules = resources(transformed, "AWS::Events::Rule")
    (rule,) = rules.values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 day)"
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == get_att("Retention", "Arn")
    permissions = [p for p in resources(transformed, "AWS::Lambda::Permission").values()
                   if p["Properties"]["Principal"] == "events.amazonaws.com"]
    assert [p["Properties"]["FunctionName"] for p in permissions] == [{"Ref": "Retention"}]


def test_retention_makes_only_the_calls_its_policy_allows(tables, monkeypatch, client):
    from tests.support.deploy import table_grants
    from tests.support.moto_stack import sign, tally
    from tools import petition_admin

    petition_admin.create("demo", "A petition", "Its summary.", 1000)
    sign(client, "Amina Yusuf", "amina@example.org", "GB")
    tally()
    petition_admin.update("demo", status="closed")
    recorder = Recorder(monkeypatch)
    from chalicelib.rights import retention

    retention.handle({})  # not due yet: the default 90 days
    retention.anonymise_petition("demo", force=True, actor="test")
    # a transaction is authorised as its parts: the Delete and the Put on the signatures table
    assert ("dynamodb:TransactWriteItems", None) in recorder.calls
    calls = {call for call in recorder.calls if call[0] != "dynamodb:TransactWriteItems"}
    allowed = table_grants("RetentionRole") | {("dynamodb:GetItem", "test-petitions")}  # the CLI's look-up only
    assert calls <= allowed
