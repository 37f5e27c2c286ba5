"""The deployment: what `make package` produces, checked offline.

Each stage is packaged once per session with ``chalice package`` and the merge
template (no AWS account involved); the tests read the resulting sam.json.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.deploy import (
    ACCOUNT,
    CONFIG,
    EXPECTED_GRANTS,
    FUNCTIONS,
    QUEUE,
    REGION,
    ROOT,
    SECRET_ARN,
    Recorder,
    _listed,
    allows,
    concrete,
    filled_policy,
    get_att,
    grants,
    handler_permissions,
    lint_errors,
    logs_arn,
    resolve,
    resources,
    table_grants,
)
from tools import package as packaging
from tools.stream_settings import stream_settings

TABLES = ("SignaturesTable", "PetitionsTable", "TotalsTable", "AdminTable", "AuditTable")
EVENT = "OnSignatureChangeDynamodbEventSource"



















# ---- tables -----------------------------------------------------------------

def test_the_three_tables_are_on_demand_encrypted_and_recoverable(template):
    for name in TABLES:
        props = template["Resources"][name]["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        assert props["SSESpecification"] == {"SSEEnabled": True}, name
        assert "ProvisionedThroughput" not in props, name


def test_the_signatures_table_streams_old_and_new_images(template):
    props = template["Resources"]["SignaturesTable"]["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    for name in ("PetitionsTable", "TotalsTable"):
        assert "StreamSpecification" not in template["Resources"][name]["Properties"]


def test_the_totals_table_keys_a_petitions_items_by_part_and_keeps_its_predecessor(template):
    """One partition per petition (base item and one item per stream shard), read with one Query."""
    from chalicelib.tally import totals

    resource = template["Resources"]["TotalsTable"]
    assert resource["Properties"]["KeySchema"] == [{"AttributeName": totals.PETITION, "KeyType": "HASH"},
                                                   {"AttributeName": totals.PART, "KeyType": "RANGE"}]
    # The key schema replaced the single-item table: a new name, and the old table's data kept
    # (tools.migrate_totals copies it over; docs/deploying.md says how).
    assert resolve(resource["Properties"]["TableName"], template, "prod") == "countersign-prod-totals-sharded"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert resource["DeletionPolicy"] == "Delete"  # as the other tables: deleting the stack deletes it


def test_deletion_protection_is_on_in_prod_only(template):
    assert template["Parameters"]["Stage"]["AllowedValues"] == ["dev", "prod"]
    for name in TABLES:
        setting = template["Resources"][name]["Properties"]["DeletionProtectionEnabled"]
        assert resolve(setting, template, "prod") is True, name
        assert resolve(setting, template, "dev") is False, name


def test_tables_outlive_a_replacement_and_in_prod_the_stacks_deletion(transformed):
    for stage, expanded in transformed.items():
        for name in TABLES:
            table = expanded["Resources"][name]
            assert table["UpdateReplacePolicy"] == "Retain", (stage, name)
            # RetainExceptOnCreate: kept when the stack is deleted, removed when the create that made it rolls back
            assert table["DeletionPolicy"] == {"prod": "RetainExceptOnCreate", "dev": "Delete"}[stage], (stage, name)


def test_table_names_match_the_stage_configuration(template):
    """So tools.petition_admin with a stage's config.json names reaches the stack's tables."""
    for stage in packaging.STAGES:
        env = CONFIG["stages"][stage]["environment_variables"]
        for name, variable in zip(TABLES, ("SIGNATURES_TABLE", "PETITIONS_TABLE", "TOTALS_TABLE"), strict=False):
            table_name = template["Resources"][name]["Properties"]["TableName"]
            assert resolve(table_name, template, stage) == env[variable]


def test_functions_use_the_stacks_own_tables(packaged):
    for stage, text in packaged.items():
        template = json.loads(text)
        for function in FUNCTIONS:
            env = template["Resources"][function]["Properties"]["Environment"]["Variables"]
            assert env["SIGNATURES_TABLE"] == {"Ref": "SignaturesTable"}, (stage, function)
            assert env["PETITIONS_TABLE"] == {"Ref": "PetitionsTable"}, (stage, function)
            assert env["TOTALS_TABLE"] == {"Ref": "TotalsTable"}, (stage, function)
            assert env["SIGNATURE_KEY_PARAMETER"] == f"/countersign/{stage}/signature-key-secret"
            assert "SIGNATURE_KEY_SECRET" not in env, "the secret never goes into the template"
            assert "DYNAMODB_ENDPOINT" not in env
            assert "ALLOWED_ORIGINS" in env


def test_functions_run_on_python_3_11(template):
    for function in FUNCTIONS:
        assert template["Resources"][function]["Properties"]["Runtime"] == "python3.11"


def test_packaging_with_another_python_says_how_to_rebuild_the_virtualenv(monkeypatch, tmp_path):
    other = (3, 9) if sys.version_info[:2] != (3, 9) else (3, 10)
    monkeypatch.setattr(packaging, "RUNTIME", other)
    with pytest.raises(SystemExit) as refused:
        packaging.package("dev", tmp_path / "out")
    message = str(refused.value)
    assert "rm -rf .venv && make venv PYTHON=python%d.%d" % other in message
    assert not (tmp_path / "out").exists()


# ---- the stream -------------------------------------------------------------

def event_source(template):
    events = template["Resources"]["OnSignatureChange"]["Properties"]["Events"]
    assert list(events) == [EVENT]
    assert events[EVENT]["Type"] == "DynamoDB"
    return events[EVENT]["Properties"]


def test_the_stream_is_wired_to_the_signatures_table(template):
    assert event_source(template)["Stream"] == get_att("SignaturesTable", "StreamArn")


def test_failed_records_are_retried_a_bounded_number_of_times_then_sent_to_the_queue(template):
    props = event_source(template)
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 <= props["MaximumRetryAttempts"] <= 100  # -1 would retry until the record expires
    assert 60 <= props["MaximumRecordAgeInSeconds"] <= 86400  # -1 is unbounded; streams keep 24 h
    assert props["DestinationConfig"] == {"OnFailure": {"Destination": get_att(QUEUE, "Arn")}}
    queue = template["Resources"][QUEUE]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_one_batch_per_shard_at_a_time_with_a_tumbling_window(template):
    props = event_source(template)
    assert props["ParallelizationFactor"] == 1  # the tally relies on per-shard order
    assert 1 <= props["TumblingWindowInSeconds"] <= 900  # so each event names its shard
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert 1 <= props["BatchSize"] <= 10000
    assert 0 <= props["MaximumBatchingWindowInSeconds"] <= 300


def test_the_local_runner_reads_the_deployed_settings(template):
    props = event_source(template)
    settings = stream_settings()
    assert set(settings) == {
        "BatchSize", "MaximumBatchingWindowInSeconds", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds", "TumblingWindowInSeconds", "FunctionResponseTypes", "StartingPosition",
        "ParallelizationFactor",
    }
    assert settings == {key: props[key] for key in settings}


def test_alarms_watch_iterator_age_errors_throttles_and_the_failure_queue(template):
    alarms = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]): a["Properties"]
              for name, a in resources(template, "AWS::CloudWatch::Alarm").items()
              if not name.startswith(("Mail", "Waf"))  # the mailer's and the web ACL's: their own tests
              and name not in ("NegativeTotalsAlarm", "TrendingKeysAlarm")}  # our own metrics: their own tests
    function = [{"Name": "FunctionName", "Value": {"Ref": "OnSignatureChange"}}]
    assert alarms[("AWS/Lambda", "IteratorAge")]["Dimensions"] == function
    assert alarms[("AWS/Lambda", "Errors")]["Dimensions"] == function
    queue = alarms[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    assert queue["Dimensions"] == [{"Name": "QueueName", "Value": get_att(QUEUE, "QueueName")}]
    assert queue["Threshold"] == 1 and queue["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # IteratorAge is reported only for batches Lambda processes: a throttled tally falls silent.
    throttles = alarms[("AWS/Lambda", "Throttles")]
    assert throttles["Dimensions"] == function
    assert throttles["Statistic"] == "Sum" and throttles["Threshold"] == 1
    assert throttles["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert len(alarms) == 4


def test_a_negative_country_total_raises_an_alarm_on_the_metric_the_api_emits(template):
    from chalicelib.aws import metrics

    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
              if a["Properties"]["Namespace"] == metrics.NAMESPACE]
    # The other of our own metrics with an alarm: the trending detector's (tests/deploy/test_challenge.py).
    assert sorted(a["MetricName"] for a in alarms) == sorted([metrics.NEGATIVE_COUNTRY_TOTALS, "TrendingKeys"])
    (alarm,) = [a for a in alarms if a["MetricName"] == metrics.NEGATIVE_COUNTRY_TOTALS]
    # The API's reads publish the figures, so the API's function emits the metric.
    assert alarm["Dimensions"] == [{"Name": metrics.DIMENSION, "Value": {"Ref": "APIHandler"}}]
    assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_packaging_refuses_a_parallelization_factor_above_one(monkeypatch, tmp_path):
    from tools import stream_settings

    unsafe = json.loads(json.dumps(stream_settings.template()))
    unsafe["Resources"]["OnSignatureChange"]["Properties"]["Events"][EVENT]["Properties"]["ParallelizationFactor"] = 2
    monkeypatch.setattr(stream_settings, "template", lambda: unsafe)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("chalice package ran"))
    with pytest.raises(stream_settings.UnsafeStreamSettings, match="ParallelizationFactor is 2"):
        packaging.package("dev", tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ---- IAM --------------------------------------------------------------------



def test_each_function_has_its_own_role(template):
    roles = resources(template, "AWS::IAM::Role")
    assert set(roles) == set(FUNCTIONS.values())  # no shared DefaultRole
    for function, role in FUNCTIONS.items():
        assert template["Resources"][function]["Properties"]["Role"] == get_att(role, "Arn")
        assert "ManagedPolicyArns" not in roles[role]["Properties"]
        assert "Policies" not in template["Resources"][function]["Properties"]  # no SAM policy templates


@pytest.mark.parametrize("role", sorted(EXPECTED_GRANTS))
def test_each_policy_lists_exactly_the_needed_actions_and_resources(template, role):
    expected = {(action, json.dumps(resource, sort_keys=True)) for action, resource in EXPECTED_GRANTS[role]}
    assert grants(template["Resources"][role]) == expected


def test_the_secret_parameter_granted_is_the_one_each_stage_reads(packaged):
    for stage, text in packaged.items():
        template = json.loads(text)
        variables = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
        parameter = variables["SIGNATURE_KEY_PARAMETER"]
        granted = resolve(SECRET_ARN, template, stage)
        assert granted.endswith(":parameter" + parameter)


def test_log_permissions_name_the_functions_own_log_groups(packaged):
    for stage, text in packaged.items():
        template = json.loads(text)
        groups = {r["Properties"]["LogGroupName"]["Fn::Sub"]: r["Properties"]["RetentionInDays"]
                  for r in resources(template, "AWS::Logs::LogGroup").values()}
        assert set(groups) == {"/aws/lambda/${AWS::StackName}-api", "/aws/lambda/${AWS::StackName}-tally",
                               "/aws/lambda/${AWS::StackName}-mailer", "/aws/lambda/${AWS::StackName}-export",
                               "/aws/lambda/${AWS::StackName}-retention"}
        assert all(days <= 90 for days in groups.values())
        for function, suffix in (("APIHandler", "api"), ("OnSignatureChange", "tally"),
                                 ("SendVerificationMail", "mailer"), ("Export", "export"),
                                 ("Retention", "retention")):
            name = resolve(template["Resources"][function]["Properties"]["FunctionName"], template, stage)
            assert name == f"countersign-{stage}-{suffix}"
            assert f":log-group:/aws/lambda/{name}:*" in resolve(logs_arn(suffix), template, stage)
            # The group exists before the function runs: the role may not create it.
            (group,) = template["Resources"][function]["DependsOn"]
            assert resolve(template["Resources"][group]["Properties"]["LogGroupName"], template, stage) \
                == f"/aws/lambda/{name}"




@pytest.fixture
def secret_from_ssm(tables, monkeypatch):
    """Deployed-stage configuration: the secret comes from Parameter Store, not the environment."""
    from chalicelib.aws import clients
    from tools.caches import reset_caches

    monkeypatch.delenv("SIGNATURE_KEY_SECRET")
    monkeypatch.setenv("SIGNATURE_KEY_PARAMETER", "/countersign/dev/signature-key-secret")
    reset_caches()
    clients.ssm().put_parameter(Name="/countersign/dev/signature-key-secret", Value="s3cret", Type="SecureString")
    yield
    reset_caches()




def test_the_api_makes_only_the_calls_its_policy_allows(secret_from_ssm, monkeypatch):
    from chalice.test import Client

    from app import app
    from tools import petition_admin

    petition_admin.create("demo", "A petition", "Its summary.", 1000)
    recorder = Recorder(monkeypatch)
    with Client(app) as client:
        signed = client.http.post(
            "/petitions/demo/signatures", headers={"content-type": "application/json"},
            body=json.dumps({"name": "Ada Lovelace", "email": "ada@example.org", "country": "GB", "consent": True}))
        assert signed.status_code == 202
        for path in ("/petitions/demo", "/petitions/demo/sign", "/petitions/demo/thanks", "/petitions/demo/totals"):
            assert client.http.get(path).status_code == 200
    assert ("ssm:GetParameter", "/countersign/dev/signature-key-secret") in recorder.calls
    assert recorder.calls <= table_grants("ApiHandlerRole")


def test_the_admin_area_makes_only_the_calls_its_policy_allows(secret_from_ssm, monkeypatch):
    """Sign in through the deployed allowlist parameter, create, edit, open, close, read the audit: all granted."""
    import re as re_
    from urllib.parse import urlencode

    from chalice.test import Client

    from app import app
    from chalicelib.admin import sign_in_views
    from chalicelib.aws import clients, config
    from tools.caches import reset_caches

    clients.ssm().put_parameter(Name="/countersign/dev/admin-allowlist", Value="boss@example.org", Type="StringList")
    monkeypatch.setenv("ADMIN_ALLOWLIST_PARAMETER", "/countersign/dev/admin-allowlist")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://sign.example.org")
    reset_caches()
    config.settings()
    sent = []
    monkeypatch.setattr(sign_in_views.sign_in_request.__wrapped__, "__defaults__", (lambda *m: sent.append(m),))
    recorder = Recorder(monkeypatch)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def token(page):
        return re_.search(r'name="csrf_token" value="([^"]+)"', page.body.decode()).group(1)

    with Client(app) as client:
        http = client.http
        page = http.get("/admin/sign-in")
        pre = page.headers["Set-Cookie"].split(";")[0]
        http.post("/admin/sign-in", headers={**form, "Cookie": pre},
                  body=urlencode({"email": "boss@example.org", "csrf_token": token(page)}))
        path = re_.search(r"https://sign.example.org(\S+)", sent[0][2]).group(1)
        done = http.post(path, headers={**form, "Cookie": pre},
                         body=urlencode({"csrf_token": token(http.get(path, headers={"Cookie": pre}))}))
        cookies = done.headers["Set-Cookie"]
        session = [c for c in (cookies if isinstance(cookies, list) else re_.split(r", (?=cs_)", cookies))
                   if c.startswith("cs_admin=")][0].split(";")[0]
        csrf = token(http.get("/admin/new", headers={"Cookie": session}))
        fields = {"csrf_token": csrf, "petition_id": "camp", "title": "T", "summary": "S", "goal": "10"}
        assert http.post("/admin/petitions", headers={**form, "Cookie": session},
                         body=urlencode(fields)).status_code == 303
        assert http.post("/admin/petitions/camp", headers={**form, "Cookie": session},
                         body=urlencode({**fields, "goal": "20"})).status_code == 303
        for change in ("open", "close"):
            assert http.post("/admin/petitions/camp/status", headers={**form, "Cookie": session},
                             body=urlencode({"csrf_token": csrf, "change": change})).status_code == 303
        for path in ("/admin", "/admin/petitions/camp", "/admin/audit"):
            assert http.get(path, headers={"Cookie": session}).status_code == 200
        for step in ("preview", "apply"):  # the invalidation panel
            assert http.post(f"/admin/petitions/camp/invalidation/{step}", headers={**form, "Cookie": session},
                             body=urlencode({"csrf_token": csrf, "country": "GB"})).status_code == 200
        assert http.post("/admin/sign-out", headers={**form, "Cookie": session},
                         body=urlencode({"csrf_token": csrf})).status_code == 303
    assert ("ssm:GetParameter", "/countersign/dev/admin-allowlist") in recorder.calls
    assert ("dynamodb:Scan", "test-signatures") in recorder.calls  # the invalidation panel's preview
    assert {call for call in recorder.calls if call[1] in ("test-admin", "test-audit")} >= {
        ("dynamodb:PutItem", "test-admin"), ("dynamodb:DeleteItem", "test-admin"), ("dynamodb:Query", "test-audit")}
    assert recorder.calls <= table_grants("ApiHandlerRole")


def window_event(record):
    """What Lambda sends a mapping with a tumbling window: the shard, the window and its state."""
    return {"shardId": "shardId-00000001", "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
            "window": {"start": "2026-11-27T20:00:00Z", "end": "2026-11-27T20:01:00Z"}, "state": {},
            "isFinalInvokeForWindow": False, "isWindowTerminatedEarly": False, "Records": [record]}


def insert_record():
    image = {"signature_key": {"S": "demo#x"}, "petition_id": {"S": "demo"}, "country": {"S": "GB"},
             "status": {"S": "confirmed"}}
    return {"eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/test-signatures/stream/x",
            "dynamodb": {"ApproximateCreationDateTime": 1795000000, "Keys": {"signature_key": {"S": "demo#x"}},
                         "NewImage": image, "SequenceNumber": "100000000000000000001", "SizeBytes": 100,
                         "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def test_the_tally_makes_only_the_calls_its_policy_allows(secret_from_ssm, monkeypatch):
    from tools.stream_consumers import app_handler
    on_signature_change = app_handler("tally")

    recorder = Recorder(monkeypatch)
    reply = on_signature_change(window_event(insert_record()), None)
    # With a tumbling window Lambda counts a reply without "state" as a failed invocation.
    assert reply == {"batchItemFailures": [], "state": {}}
    # no secret, no other table; the Query looks for idle shard items (once an hour per petition)
    assert recorder.calls == {("dynamodb:UpdateItem", "test-totals"), ("dynamodb:Query", "test-totals")}
    assert recorder.calls <= table_grants("OnSignatureChangeRole")


# ---- what CloudFormation runs: the template after the SAM transform ---------



def test_lambda_gets_every_stream_setting(transformed):
    mappings = resources(transformed["dev"], "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 2  # the tally's and the verification mailer's (test_deploy_mailer.py)
    (mapping,) = [m for m in mappings.values() if m["Properties"]["FunctionName"] == {"Ref": "OnSignatureChange"}]
    assert mapping["Properties"] == {
        "FunctionName": {"Ref": "OnSignatureChange"},
        "EventSourceArn": get_att("SignaturesTable", "StreamArn"),
        "DestinationConfig": {"OnFailure": {"Destination": get_att(QUEUE, "Arn")}},
        **stream_settings(),
    }


def test_the_api_has_one_stage_the_one_chalice_names(transformed):
    """Without OpenApiVersion SAM also deploys every API to an extra stage called "Stage"."""
    for stage, expanded in transformed.items():
        stages = resources(expanded, "AWS::ApiGateway::Stage")
        assert [s["Properties"]["StageName"] for s in stages.values()] == [CONFIG["api_gateway_stage"]], stage
        for deployment in resources(expanded, "AWS::ApiGateway::Deployment").values():
            assert "StageName" not in deployment["Properties"], stage
        # The definition Chalice writes is Swagger 2.0; SAM leaves it as it is.
        (api,) = resources(expanded, "AWS::ApiGateway::RestApi").values()
        assert api["Properties"]["Body"]["swagger"] == "2.0"


def expand_with_origins(packaged, origins):
    """The dev stage as packaged with ALLOWED_ORIGINS set to ``origins``, after the SAM transform."""
    from samtranslator.translator.transform import transform

    template = json.loads(packaged["dev"])
    for function in FUNCTIONS:
        template["Resources"][function]["Properties"]["Environment"]["Variables"]["ALLOWED_ORIGINS"] = origins
        template["Resources"][function]["Properties"]["CodeUri"] = "s3://bucket/countersign/code.zip"
    template["Resources"]["RestAPI"]["Properties"].pop("GatewayResponses", None)
    template = packaging.finish(template, "dev")

    class NoManagedPolicies:
        def load(self):
            return {}

    return transform(template, {"Stage": "dev"}, NoManagedPolicies())


def gateway_responses(expanded):
    (api,) = resources(expanded, "AWS::ApiGateway::RestApi").values()
    return api["Properties"]["Body"].get("x-amazon-apigateway-gateway-responses", {})


def test_api_gateways_own_errors_carry_cors_headers_for_the_allowed_origin(packaged):
    """A throttled or timed-out request never reaches the app, which is what adds CORS headers."""
    expanded = expand_with_origins(packaged, "https://campaign.example.org/")
    responses = gateway_responses(expanded)
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses.values():
        assert response["responseParameters"] == {
            "gatewayresponse.header.Access-Control-Allow-Origin": "'https://campaign.example.org'"}
    assert lint_errors(json.dumps(expanded)) == []


def test_with_several_allowed_origins_the_gateways_errors_allow_any(packaged):
    """A gateway response has fixed headers, it cannot pick the caller's origin from a list."""
    responses = gateway_responses(expand_with_origins(packaged, "https://a.example.org, https://b.example.org"))
    assert {r["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
            for r in responses.values()} == {"'*'"}


def test_without_allowed_origins_the_gateways_errors_carry_no_cors_headers(packaged, transformed):
    assert CONFIG["stages"]["dev"]["environment_variables"]["ALLOWED_ORIGINS"] == ""
    assert gateway_responses(transformed["dev"]) == {}
    with pytest.raises(SystemExit):
        packaging.gateway_cors_responses("https://ok.example.org, 'quoted'")


def test_the_sam_transform_grants_nothing_more(packaged, transformed):
    for stage, expanded in transformed.items():
        roles = resources(json.loads(packaged[stage]), "AWS::IAM::Role")
        assert resources(expanded, "AWS::IAM::Role") == roles, stage


# ---- what the deployer needs ---------------------------------------------------

# The services the stack's resources are made with (the rest of a handler's
# list serves features this stack does not use: VPCs, EFS, Kinesis, KMS
# customer keys, Firehose).
DEPLOY_SERVICES = {"apigateway", "cloudwatch", "dynamodb", "events", "iam", "lambda", "logs", "s3", "ses", "sns", "sqs",
                   "ssm"}
# Handler permissions for features the stack does not use.
UNUSED_FEATURES = {
    # DynamoDB global tables, imports, Kinesis destinations, resource policies, contributor insights;
    # the item actions the handler lists serve imports
    "dynamodb:AssociateTableReplica", "dynamodb:CreateTableReplica", "dynamodb:ImportTable",
    "dynamodb:DescribeImport", "dynamodb:EnableKinesisStreamingDestination",
    "dynamodb:DisableKinesisStreamingDestination", "dynamodb:UpdateKinesisStreamingDestination",
    "dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy", "dynamodb:UpdateContributorInsights",
    "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:Query", "s3:GetObjectMetadata",
    "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams",
    "iam:CreateServiceLinkedRole",
    # managed policies on roles, removing a role's boundary (denied outright), role descriptions
    "iam:AttachRolePolicy", "iam:DetachRolePolicy",
    "iam:DeleteRolePermissionsBoundary", "iam:UpdateRole", "iam:UpdateRoleDescription",
    # Lambda layers, code signing, runtime pinning, recursion and scaling configs, capacity providers
    "lambda:GetLayerVersion", "lambda:GetCodeSigningConfig", "lambda:PutFunctionCodeSigningConfig",
    "lambda:DeleteFunctionCodeSigningConfig", "lambda:AssociateRuntimeAlias", "lambda:PutRuntimeManagementConfig",
    "lambda:PutFunctionRecursionConfig", "lambda:PutFunctionScalingConfig", "lambda:PassCapacityProvider",
    # log group deliveries, data protection, index and resource policies, KMS keys, deletion protection
    "logs:CreateLogDelivery", "logs:PutBearerTokenAuthentication", "logs:PutDataProtectionPolicy",
    "logs:DeleteDataProtectionPolicy", "logs:PutIndexPolicy", "logs:DeleteIndexPolicy", "logs:PutResourcePolicy",
    "logs:DeleteResourcePolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey",
    "logs:PutLogGroupDeletionProtection", "s3:REST.PUT.OBJECT",
    # REST API resource policies
    "apigateway:UpdateRestApiPolicy",
    # HTTP API: a definition read from S3 (ours has none); the Stage schema's tagging names, which are not
    # IAM actions (API Gateway authorizes tags as PUT and DELETE on /tags, granted with the API's own verbs)
    "s3:getObject", "apigateway:TagResource", "apigateway:UntagResource",
    # S3 bucket features the export bucket does not use: analytics, metadata tables, metrics, inventory,
    # tiering, replication, websites, object lock, acceleration, CORS, logging, notifications, ABAC;
    # and object deletion (its lifecycle rule expires exports)
    "s3:CreateBucketMetadataTableConfiguration", "s3:DeleteBucketAnalyticsConfiguration", "s3:DeleteBucketCors",
    "s3:DeleteBucketMetadataTableConfiguration", "s3:DeleteBucketMetricsConfiguration", "s3:DeleteBucketReplication",
    "s3:DeleteBucketWebsite", "s3:DeleteObject", "s3:GetBucketAbac", "s3:GetBucketMetadataTableConfiguration",
    "s3:PutAccelerateConfiguration", "s3:PutAnalyticsConfiguration", "s3:PutBucketAbac", "s3:PutBucketCORS",
    "s3:PutBucketLogging", "s3:PutBucketNotification", "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketReplication", "s3:PutBucketWebsite", "s3:PutIntelligentTieringConfiguration",
    "s3:PutInventoryConfiguration", "s3:PutMetricsConfiguration", "s3:PutObjectAcl", "s3:PutObjectLockConfiguration",
    "s3:PutReplicationConfiguration", "s3:UpdateBucketMetadataAnnotationTableConfiguration",
    "s3:UpdateBucketMetadataInventoryTableConfiguration", "s3:UpdateBucketMetadataJournalTableConfiguration",
    # API names, not IAM actions: S3 checks PutEncryptionConfiguration and PutLifecycleConfiguration for them
    "s3:DeleteBucketEncryption", "s3:DeleteBucketLifecycle",
}




def test_the_deployer_policy_covers_every_resource_in_the_stack(transformed):
    policy = json.loads((ROOT / "infra" / "deployer-policy.json").read_text())
    granted = {action for statement in policy["Statement"] if statement["Effect"] == "Allow"
               for action in statement["Action"]}
    types = {r["Type"] for expanded in transformed.values() for r in expanded["Resources"].values()}
    needed = set()
    for resource_type in types:
        needed |= {p for p in handler_permissions(resource_type) if p.split(":")[0] in DEPLOY_SERVICES}
    assert sorted(needed - UNUSED_FEATURES - granted) == []
    assert {"cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "s3:PutObject",
            "ssm:PutParameter", "iam:PassRole"} <= granted
    assert all("*" not in action for action in granted)


@pytest.mark.parametrize("name", ["deployer-policy.json", "function-boundary.json"])
def test_the_policies_name_only_real_actions(name):
    wrapper = {"Resources": {"Policy": {"Type": "AWS::IAM::ManagedPolicy",
                                        "Properties": {"PolicyDocument": filled_policy(name)}}}}
    assert lint_errors(json.dumps(wrapper)) == []  # W3037 flags unknown actions


def iam_reference():
    """AWS's list of actions and the resource types each supports, as cfn-lint ships it."""
    import cfnlint.data.AdditionalSpecs

    return json.loads((Path(cfnlint.data.AdditionalSpecs.__file__).parent / "Policies.json").read_text())


@pytest.mark.parametrize("name", ["deployer-policy.json", "function-boundary.json"])
def test_actions_without_resource_level_permissions_are_granted_on_every_resource(name):
    """Such an action is checked against the resource "*": a statement naming ARNs never matches it."""
    reference = iam_reference()
    for statement in filled_policy(name)["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        for action in _listed(statement["Action"]):
            service, operation = action.split(":")
            if not reference[service]["Actions"][operation.lower()].get("Resources"):
                assert _listed(statement["Resource"]) == ["*"], (statement["Sid"], action)


# ---- the permissions boundary -------------------------------------------------
#
# The deployer creates the functions' roles and passes them to Lambda, and may
# change the functions' code: without a boundary that is code running under any
# policy the deployer cares to write. Every role it makes must carry the
# boundary an administrator created from infra/function-boundary.json, and the
# deployer may neither remove it nor change the boundary policy.

BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/countersign-function-boundary"














def test_every_role_in_the_stack_carries_the_boundary(transformed):
    for stage, expanded in transformed.items():
        roles = resources(expanded, "AWS::IAM::Role")
        assert roles, stage
        for name, role in roles.items():
            boundary = role["Properties"].get("PermissionsBoundary")
            assert boundary is not None, (stage, name)
            assert concrete(boundary, stage) == BOUNDARY_ARN, (stage, name)


def test_a_role_the_sam_transform_would_make_carries_the_boundary_too(packaged):
    """A function added later without a role of its own gets one from SAM: through Globals, bounded as well."""
    from samtranslator.translator.transform import transform

    template = json.loads(packaged["dev"])
    for function in FUNCTIONS:
        template["Resources"][function]["Properties"]["CodeUri"] = "s3://bucket/countersign/code.zip"
    template["Resources"]["Extra"] = {"Type": "AWS::Serverless::Function", "Properties": {
        "Handler": "app.extra", "Runtime": "python3.11", "CodeUri": "s3://bucket/countersign/code.zip"}}

    class NoManagedPolicies:
        def load(self):
            return {}

    expanded = transform(template, {"Stage": "dev"}, NoManagedPolicies())
    role = expanded["Resources"]["ExtraRole"]
    assert concrete(role["Properties"]["PermissionsBoundary"], "dev") == BOUNDARY_ARN


@pytest.mark.parametrize("stage", packaging.STAGES)
def test_the_boundary_covers_everything_each_function_is_granted(stage):
    boundary = filled_policy("function-boundary.json")
    for role, pairs in EXPECTED_GRANTS.items():
        for action, resource in pairs:
            assert allows(boundary, action, concrete(resource, stage)), (role, action, resource)


def test_the_boundary_allows_only_data_access_to_the_stacks_own_resources():
    """Data actions on the stack's own resources, and starting its own functions (the admin's export button)."""
    boundary = filled_policy("function-boundary.json")
    for statement in boundary["Statement"]:
        assert statement["Effect"] == "Allow" and "Condition" not in statement
        for action in _listed(statement["Action"]):
            assert "*" not in action and action.split(":")[0] in {"dynamodb", "ssm", "sqs", "logs", "ses", "s3"} \
                or action == "lambda:InvokeFunction", action
        if statement["Resource"] == "*":  # only what IAM checks against "*" (see the test above): listing streams
            assert statement["Action"] == ["dynamodb:ListStreams"]
            continue
        for resource in _listed(statement["Resource"]):
            if resource.startswith("arn:aws:s3:::"):  # bucket ARNs name no account: the stack's bucket, by name
                assert resource == "arn:aws:s3:::countersign-*/exports/*", resource
                continue
            assert f":{ACCOUNT}:" in resource, resource
            if statement["Action"] == ["ses:SendEmail"] and resource.endswith(":identity/*"):
                continue  # the sender is the campaign's own domain; the mailer's policy names the one identity
            own = r":(table/|parameter/|log-group:/aws/lambda/|configuration-set/|function:)?countersign[-/]"
            assert re.search(own, resource), resource
    # what the functions never need: another stage's secret is fine (same naming), but not IAM or code
    assert not allows(boundary, "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/countersign-x")
    totals_table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/countersign-dev-totals"
    assert not allows(boundary, "dynamodb:DeleteTable", totals_table)
    assert not allows(boundary, "dynamodb:GetItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/payroll")
    assert not allows(boundary, "lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payroll")


def test_the_deployer_creates_and_changes_roles_only_under_the_boundary():
    policy = filled_policy("deployer-policy.json")
    role = f"arn:aws:iam::{ACCOUNT}:role/countersign-dev-ApiHandlerRole-1A2B3C4D5E6F"
    key = "iam:PermissionsBoundary"
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"):
        assert allows(policy, action, role, **{key: BOUNDARY_ARN}), action
        assert not allows(policy, action, role), action  # no boundary (a role made before it existed)
        assert not allows(policy, action, role, **{key: f"arn:aws:iam::{ACCOUNT}:policy/other"}), action
    assert not allows(policy, "iam:AttachRolePolicy", role, **{key: BOUNDARY_ARN})
    assert not allows(policy, "iam:DeleteRolePermissionsBoundary", role, **{key: BOUNDARY_ARN})
    for action in ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                   "iam:SetDefaultPolicyVersion"):
        assert not allows(policy, action, BOUNDARY_ARN), action
    # Explicit denies, so that another policy on the same principal cannot reopen the hole.
    denied = {(a, r) for s in policy["Statement"] if s["Effect"] == "Deny" for a in s["Action"] for r in s["Resource"]}
    assert ("iam:DeleteRolePermissionsBoundary", f"arn:aws:iam::{ACCOUNT}:role/countersign-*") in denied
    assert ("iam:CreatePolicyVersion", BOUNDARY_ARN) in denied
    assert ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/countersign-*") in denied
    # Whatever else the deployer may do to roles changes no role's permissions.
    unconditional = {a for s in policy["Statement"] if s["Effect"] == "Allow" and "Condition" not in s
                     for a in s["Action"] if a.startswith("iam:")}
    assert unconditional == {"iam:DeleteRole", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
                             "iam:ListRolePolicies", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy"}


def test_the_deployer_changes_only_rest_apis_its_own_stacks_made():
    policy = filled_policy("deployer-policy.json")
    tag = "aws:ResourceTag/aws:cloudformation:stack-name"
    base = f"arn:aws:apigateway:{REGION}::/restapis"
    for action in ("apigateway:DELETE", "apigateway:PATCH", "apigateway:PUT", "apigateway:POST"):
        for path in ("/a1b2c3", "/a1b2c3/stages/api", "/a1b2c3/deployments"):
            assert allows(policy, action, base + path, **{tag: "countersign-dev"}), (action, path)
            assert not allows(policy, action, base + path, **{tag: "payments-prod"}), (action, path)
            assert not allows(policy, action, base + path), (action, path)  # made outside CloudFormation
    assert allows(policy, "apigateway:POST", base)  # creating one
    assert allows(policy, "apigateway:GET", base + "/a1b2c3")


def test_cloudformation_tags_what_the_api_condition_relies_on():
    """The condition above works because CloudFormation puts its own, unforgeable aws: tags on these types,
    and API Gateway lets a REST API's children (deployments, stages, resources) inherit them for IAM."""
    import cfnlint.data.schemas

    schemas = Path(cfnlint.data.schemas.__file__).parent
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    for resource_type in ("AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage"):
        schema = json.loads((schemas / "resources" / f"{index[resource_type]}.json").read_text())
        assert schema["tagging"]["cloudFormationSystemTags"] is True, resource_type
        assert schema["tagging"]["tagOnCreate"] is True, resource_type


def test_the_deployer_may_read_and_delete_the_failure_queues_messages():
    """The runbook: read what the tally gave up on, recount, then delete the messages so the alarm clears."""
    policy = filled_policy("deployer-policy.json")
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:countersign-prod-{QUEUE}-1A2B3C4D5E6F"
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert allows(policy, action, queue), action
        assert not allows(policy, action, f"arn:aws:sqs:{REGION}:{ACCOUNT}:payments-orders"), action
    assert not allows(policy, "sqs:PurgeQueue", queue)  # one message at a time, each after its batch is recounted


def test_the_deployer_changes_only_stream_mappings_of_its_own_functions():
    policy = filled_policy("deployer-policy.json")
    mapping = f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:fa123456-14a1-4fd2-9fec-83de64ad683d"
    ours = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:countersign-dev-tally"
    theirs = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments-ledger"
    for action in ("lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping",
                   "lambda:DeleteEventSourceMapping"):
        resource = "*" if action == "lambda:CreateEventSourceMapping" else mapping
        assert allows(policy, action, resource, **{"lambda:FunctionArn": ours}), action
        assert not allows(policy, action, resource, **{"lambda:FunctionArn": theirs}), action


# ---- cfn-lint and the Makefile ----------------------------------------------



@pytest.mark.parametrize("stage", packaging.STAGES)
def test_cfn_lint_reports_no_errors_or_warnings(packaged, stage):
    assert lint_errors(packaged[stage]) == []


@pytest.mark.parametrize("stage", packaging.STAGES)
def test_cfn_lint_reports_no_errors_or_warnings_after_the_sam_transform(transformed, stage):
    """The expanded template is linted against the full schemas of the event source mapping and the rest."""
    assert lint_errors(json.dumps(transformed[stage])) == []


def test_cfn_lint_does_catch_a_broken_template(template):
    broken = json.loads(json.dumps(template))
    broken["Resources"]["SignaturesTable"]["Properties"]["StreamSpecification"]["StreamViewType"] = "NEW_AND_OLD"
    assert any(error.startswith("E3030") for error in lint_errors(json.dumps(broken)))


def test_cfn_lint_does_check_the_event_source_mapping(transformed):
    broken = json.loads(json.dumps(transformed["dev"]))
    mapping = next(iter(resources(broken, "AWS::Lambda::EventSourceMapping").values()))
    mapping["Properties"]["ParallelizationFactor"] = 100
    assert any(error.startswith("E3034") for error in lint_errors(json.dumps(broken)))


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_deploy_packages_uploads_and_deploys_the_stage():
    dry = subprocess.run(["make", "-n", "deploy", "STAGE=prod", "BUCKET=my-bucket"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "-m tools.package prod build/prod" in dry
    assert "cfn-lint --non-zero-exit-code error build/prod/sam.json" in dry
    assert re.search(r"aws cloudformation package .*--template-file build/prod/sam.json", dry.replace("\\\n", " "))
    assert "--s3-bucket my-bucket" in dry
    deploy = re.search(r"aws cloudformation deploy .*", dry.replace("\\\n", " ")).group(0)
    assert "--stack-name countersign-prod" in deploy
    assert "--capabilities CAPABILITY_IAM" in deploy
    assert "Stage=prod" in deploy


def make_deploy_dry_run(tmp_path, profile_region, *args):
    """`make -n deploy` with no region in the environment and an `aws` whose profile has ``profile_region``."""
    import os

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "aws").write_text('#!/bin/sh\nif [ "$1 $2 $3" = "configure get region" ]; then echo %s; fi\n'
                              % profile_region)
    (fake / "aws").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION", "REGION")}
    env["PATH"] = f"{fake}{os.pathsep}{env['PATH']}"
    return subprocess.run(["make", "-n", "deploy", "STAGE=prod", "BUCKET=my-bucket", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_deploy_uses_the_aws_cli_profiles_region(tmp_path):
    """Not us-east-1 behind the user's back: `aws configure`'s region is the one the AWS CLI itself would use."""
    dry = make_deploy_dry_run(tmp_path, "eu-west-2")
    assert dry.returncode == 0, dry.stderr
    regions = re.findall(r"--region (\S+)", dry.stdout)
    assert len(regions) == 3 and set(regions) == {"eu-west-2"}


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_deploy_without_any_region_stops_before_packaging(tmp_path):
    dry = make_deploy_dry_run(tmp_path, "")
    assert dry.returncode != 0
    assert "make deploy needs a region" in dry.stderr
    assert "tools.package" not in dry.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_an_explicit_region_wins(tmp_path):
    dry = make_deploy_dry_run(tmp_path, "eu-west-2", "REGION=ap-southeast-2")
    assert set(re.findall(r"--region (\S+)", dry.stdout)) == {"ap-southeast-2"}


# ---- the deployment guide -----------------------------------------------------

GUIDE = ROOT / "docs" / "deploying.md"


def guide_section(heading):
    """The text under a heading of docs/deploying.md, up to the next heading of the same or a higher level."""
    text = GUIDE.read_text()
    match = re.search(r"^(#+) %s\n" % re.escape(heading), text, re.MULTILINE)
    assert match, heading
    level = len(match.group(1))
    end = re.compile(r"^#{1,%d} " % level, re.MULTILINE).search(text, match.end())
    return text[match.end():end.start() if end else len(text)]


def test_the_guide_says_what_to_do_when_the_first_prod_create_rolls_back():
    """Rollback cannot delete tables under deletion protection: the stack is stuck until someone acts."""
    section = guide_section("If the first prod deploy rolls back")
    assert "ROLLBACK_FAILED" in section
    assert "describe-stack-events" in section  # why it failed, read before the stack is gone
    assert "--select COUNT" in section  # the tables are checked empty before anything is deleted
    assert section.index("--no-deletion-protection-enabled") < section.index("delete-stack")


def guide_commands():
    """Each shell line of the guide's code blocks and each inline code span, continuation lines joined."""
    text = GUIDE.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    lines = [line for block in blocks for line in re.sub(r"\\\n\s*", " ", block).splitlines()]
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    spans = [re.sub(r"\s+", " ", span) for span in re.findall(r"`([^`]+)`", prose)]
    return lines + spans


def test_every_aws_command_in_the_guide_names_its_region():
    """A command without --region goes wherever the reader's profile points, which may not be the stage's region."""
    aws_commands = 0
    for line in guide_commands():
        commands = re.findall(r"\baws (?!configure\b)[a-z0-9-]+ [a-z]", line)
        aws_commands += len(commands)
        assert line.count("--region ") >= len(commands), line
    assert aws_commands >= 20


def test_the_guide_passes_the_secret_as_one_argument():
    """token_urlsafe may start the secret with '-', which `--value "$SECRET"` would turn into an option."""
    puts = [line for line in guide_commands() if "aws ssm put-parameter" in line]
    assert puts  # the signature key's secret and the CDN's origin secret
    for put in puts:
        assert '--value="$SECRET"' in put, put


def test_the_guide_runs_the_tests_that_need_nothing_more_and_names_what_the_others_need():
    section = guide_section("1. Clone, install, test")
    assert "make unit" in section
    for prerequisite in ("Java", "npm", "chromium"):
        assert prerequisite in section, prerequisite
    assert re.search(r"^unit: ", (ROOT / "Makefile").read_text(), re.MULTILINE)


def test_the_api_builds_absolute_links_from_the_stacks_public_address(template):
    """Share links and mailed links come from a stack parameter, never from a request's Host."""
    env = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}
    parameter = template["Parameters"]["PublicBaseUrl"]
    pattern = re.compile(parameter["AllowedPattern"])
    assert parameter["Default"] == "" and pattern.fullmatch("")
    assert pattern.fullmatch("https://petitions.example.org")
    assert pattern.fullmatch("https://abc123.execute-api.eu-west-2.amazonaws.com/api")
    assert not pattern.fullmatch("http://petitions.example.org")
    assert not pattern.fullmatch("https://evil.example/ x")
