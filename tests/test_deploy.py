"""The deployment: what `make package` produces, checked offline.

Each stage is packaged once per session with ``chalice package`` and the merge
template (no AWS account involved); the tests read the resulting sam.json.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import botocore.client
import pytest

from tools import package as packaging
from tools.stream_settings import stream_settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
TABLES = ("SignaturesTable", "PetitionsTable", "TotalsTable")
FUNCTIONS = {"APIHandler": "ApiHandlerRole", "OnSignatureChange": "OnSignatureChangeRole"}
EVENT = "OnSignatureChangeDynamodbEventSource"
QUEUE = "SignatureStreamFailureQueue"


def get_att(resource, attribute):
    return {"Fn::GetAtt": [resource, attribute]}


def logs_arn(suffix):
    return {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                       "log-group:/aws/lambda/${AWS::StackName}-" + suffix + ":*"}


SECRET_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                         "parameter/countersign/${Stage}/signature-key-secret"}

# Exactly what each function may do, on exactly which resource.
EXPECTED_GRANTS = {
    "ApiHandlerRole": [
        ("dynamodb:GetItem", get_att("PetitionsTable", "Arn")),
        ("dynamodb:Scan", get_att("PetitionsTable", "Arn")),
        ("dynamodb:PutItem", get_att("SignaturesTable", "Arn")),
        ("dynamodb:Query", get_att("TotalsTable", "Arn")),
        ("ssm:GetParameter", SECRET_ARN),
        ("logs:CreateLogStream", logs_arn("api")),
        ("logs:PutLogEvents", logs_arn("api")),
    ],
    "OnSignatureChangeRole": [
        ("dynamodb:DescribeStream", get_att("SignaturesTable", "StreamArn")),
        ("dynamodb:GetRecords", get_att("SignaturesTable", "StreamArn")),
        ("dynamodb:GetShardIterator", get_att("SignaturesTable", "StreamArn")),
        ("dynamodb:ListStreams", get_att("SignaturesTable", "StreamArn")),
        ("dynamodb:UpdateItem", get_att("TotalsTable", "Arn")),
        ("dynamodb:DeleteItem", get_att("TotalsTable", "Arn")),  # folded shard items; folds are transactions
        ("dynamodb:Query", get_att("TotalsTable", "Arn")),  # of updates, which UpdateItem covers
        ("sqs:SendMessage", get_att(QUEUE, "Arn")),
        ("logs:CreateLogStream", logs_arn("tally")),
        ("logs:PutLogEvents", logs_arn("tally")),
    ],
}


@pytest.fixture(scope="session")
def packaged(tmp_path_factory):
    """Every stage's packaged template, keyed by stage."""
    templates = {}
    for stage in packaging.STAGES:
        sam = packaging.package(stage, tmp_path_factory.mktemp(stage) / "out")
        assert (sam.parent / "deployment.zip").stat().st_size > 0
        templates[stage] = sam.read_text()
    return templates


@pytest.fixture(scope="session")
def template(packaged):
    return json.loads(packaged["dev"])


def resources(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def resolve(value, template, stage):
    """Evaluate the intrinsics that depend on the stage (as `make deploy` sets them)."""
    if isinstance(value, dict) and len(value) == 1:
        (function, arg), = value.items()
        if function == "Ref" and arg == "Stage":
            return stage
        if function == "Ref" and arg == "AWS::StackName":
            return f"countersign-{stage}"
        if function == "Fn::Equals":
            return resolve(arg[0], template, stage) == resolve(arg[1], template, stage)
        if function == "Fn::If":
            condition = resolve(template["Conditions"][arg[0]], template, stage)
            return resolve(arg[1] if condition else arg[2], template, stage)
        if function == "Fn::Sub":
            return arg.replace("${Stage}", stage).replace("${AWS::StackName}", f"countersign-{stage}")
    return value


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
    from chalicelib import totals

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


def test_table_names_match_the_stage_configuration(template):
    """So tools.petition_admin with a stage's config.json names reaches the stack's tables."""
    for stage in packaging.STAGES:
        env = CONFIG["stages"][stage]["environment_variables"]
        for name, variable in zip(TABLES, ("SIGNATURES_TABLE", "PETITIONS_TABLE", "TOTALS_TABLE"), strict=True):
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


def test_alarms_watch_iterator_age_errors_and_the_failure_queue(template):
    alarms = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]): a["Properties"]
              for a in resources(template, "AWS::CloudWatch::Alarm").values()}
    function = [{"Name": "FunctionName", "Value": {"Ref": "OnSignatureChange"}}]
    assert alarms[("AWS/Lambda", "IteratorAge")]["Dimensions"] == function
    assert alarms[("AWS/Lambda", "Errors")]["Dimensions"] == function
    queue = alarms[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    assert queue["Dimensions"] == [{"Name": "QueueName", "Value": get_att(QUEUE, "QueueName")}]
    assert queue["Threshold"] == 1 and queue["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert len(alarms) == 4


def test_a_negative_country_total_raises_an_alarm_on_the_metric_the_api_emits(template):
    from chalicelib import metrics

    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()
              if a["Properties"]["Namespace"] == metrics.NAMESPACE]
    assert [a["MetricName"] for a in alarms] == [metrics.NEGATIVE_COUNTRY_TOTALS]
    (alarm,) = alarms
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

def grants(role):
    """(action, resource) pairs of a role's inline policies."""
    pairs = set()
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources_ = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for action in actions:
                for resource in resources_:
                    pairs.add((action, json.dumps(resource, sort_keys=True)))
    return pairs


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
        assert set(groups) == {"/aws/lambda/${AWS::StackName}-api", "/aws/lambda/${AWS::StackName}-tally"}
        assert all(days <= 90 for days in groups.values())
        for function, suffix in (("APIHandler", "api"), ("OnSignatureChange", "tally")):
            name = resolve(template["Resources"][function]["Properties"]["FunctionName"], template, stage)
            assert name == f"countersign-{stage}-{suffix}"
            assert f":log-group:/aws/lambda/{name}:*" in resolve(logs_arn(suffix), template, stage)
            # The group exists before the function runs: the role may not create it.
            (group,) = template["Resources"][function]["DependsOn"]
            assert resolve(template["Resources"][group]["Properties"]["LogGroupName"], template, stage) \
                == f"/aws/lambda/{name}"


class Recorder:
    """AWS calls as (IAM action, table or parameter name)."""

    def __init__(self, monkeypatch):
        self.calls = set()
        real = botocore.client.BaseClient._make_api_call
        recorder = self

        def recording(client, operation, params):
            service = client.meta.service_model.signing_name
            recorder.calls.add((f"{service}:{operation}", params.get("TableName") or params.get("Name")))
            return real(client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)


@pytest.fixture
def secret_from_ssm(tables, monkeypatch):
    """Deployed-stage configuration: the secret comes from Parameter Store, not the environment."""
    from chalicelib import aws
    from tools.caches import reset_caches

    monkeypatch.delenv("SIGNATURE_KEY_SECRET")
    monkeypatch.setenv("SIGNATURE_KEY_PARAMETER", "/countersign/dev/signature-key-secret")
    reset_caches()
    aws.ssm().put_parameter(Name="/countersign/dev/signature-key-secret", Value="s3cret", Type="SecureString")
    yield
    reset_caches()


def table_grants(role):
    """The policy of a role in terms of the test tables' names."""
    names = {"SignaturesTable": "test-signatures", "PetitionsTable": "test-petitions", "TotalsTable": "test-totals"}
    allowed = set()
    for action, resource in EXPECTED_GRANTS[role]:
        if "Fn::GetAtt" in resource and resource["Fn::GetAtt"][1] == "Arn":
            allowed.add((action, names.get(resource["Fn::GetAtt"][0])))
        elif action == "ssm:GetParameter":
            allowed.add((action, "/countersign/dev/signature-key-secret"))
    return allowed


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
    from app import on_signature_change

    recorder = Recorder(monkeypatch)
    reply = on_signature_change(window_event(insert_record()), None)
    # With a tumbling window Lambda counts a reply without "state" as a failed invocation.
    assert reply == {"batchItemFailures": [], "state": {}}
    # no secret, no other table; the Query looks for idle shard items (once an hour per petition)
    assert recorder.calls == {("dynamodb:UpdateItem", "test-totals"), ("dynamodb:Query", "test-totals")}
    assert recorder.calls <= table_grants("OnSignatureChangeRole")


# ---- what CloudFormation runs: the template after the SAM transform ---------

@pytest.fixture(scope="session")
def transformed(packaged):
    """Each stage's template as CloudFormation expands it (code already uploaded)."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # only SAM's own policy templates would need them; we use none
        def load(self):
            return {}

    expanded = {}
    for stage, text in packaged.items():
        template = json.loads(text)
        for function in FUNCTIONS:  # what `aws cloudformation package` does to CodeUri
            template["Resources"][function]["Properties"]["CodeUri"] = "s3://bucket/countersign/code.zip"
        expanded[stage] = transform(template, {"Stage": stage}, NoManagedPolicies())
    return expanded


def test_lambda_gets_every_stream_setting(transformed):
    mappings = resources(transformed["dev"], "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 1
    (mapping,) = mappings.values()
    assert mapping["Properties"] == {
        "FunctionName": {"Ref": "OnSignatureChange"},
        "EventSourceArn": get_att("SignaturesTable", "StreamArn"),
        "DestinationConfig": {"OnFailure": {"Destination": get_att(QUEUE, "Arn")}},
        **stream_settings(),
    }


def test_the_sam_transform_grants_nothing_more(packaged, transformed):
    for stage, expanded in transformed.items():
        roles = resources(json.loads(packaged[stage]), "AWS::IAM::Role")
        assert resources(expanded, "AWS::IAM::Role") == roles, stage


# ---- what the deployer needs ---------------------------------------------------

# The services the stack's resources are made with (the rest of a handler's
# list serves features this stack does not use: VPCs, EFS, Kinesis, KMS
# customer keys, Firehose).
DEPLOY_SERVICES = {"apigateway", "cloudwatch", "dynamodb", "iam", "lambda", "logs", "s3", "sqs"}
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
    # managed policies and permission boundaries on roles; role descriptions
    "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
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
}


def handler_permissions(resource_type):
    """What CloudFormation calls to create, read, update and delete a resource type (from cfn-lint's schemas)."""
    import cfnlint.data.schemas

    schemas = Path(cfnlint.data.schemas.__file__).parent
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    schema = json.loads((schemas / "resources" / f"{index[resource_type]}.json").read_text())
    handlers = schema.get("handlers", {})
    return {p for verb in ("create", "read", "update", "delete") for p in handlers.get(verb, {}).get("permissions", [])}


def test_the_deployer_policy_covers_every_resource_in_the_stack(transformed):
    policy = json.loads((ROOT / "infra" / "deployer-policy.json").read_text())
    granted = {action for statement in policy["Statement"] for action in statement["Action"]}
    types = {r["Type"] for expanded in transformed.values() for r in expanded["Resources"].values()}
    needed = set()
    for resource_type in types:
        needed |= {p for p in handler_permissions(resource_type) if p.split(":")[0] in DEPLOY_SERVICES}
    assert sorted(needed - UNUSED_FEATURES - granted) == []
    assert {"cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "s3:PutObject",
            "ssm:PutParameter", "iam:PassRole"} <= granted
    assert all("*" not in action for action in granted)


def test_the_deployer_policy_names_only_real_actions():
    text = (ROOT / "infra" / "deployer-policy.json").read_text()
    for placeholder, example in (("REGION", "us-east-1"), ("ACCOUNT_ID", "123456789012"), ("ARTIFACT_BUCKET", "b")):
        text = text.replace(placeholder, example)
    wrapper = {"Resources": {"Deployer": {"Type": "AWS::IAM::ManagedPolicy",
                                          "Properties": {"PolicyDocument": json.loads(text)}}}}
    assert lint_errors(json.dumps(wrapper)) == []  # W3037 flags unknown actions


# ---- cfn-lint and the Makefile ----------------------------------------------

def lint_errors(text):
    """cfn-lint's errors and warnings (its informational notes are left out)."""
    from cfnlint.api import lint

    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in lint(text) if m.rule.id[0] in "EW"]


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
    (mapping,) = resources(broken, "AWS::Lambda::EventSourceMapping").values()
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
