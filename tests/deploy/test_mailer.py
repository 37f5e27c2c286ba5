"""The verification mailer in the deployment: its function, least-privilege policy, mapping, queue, alarms and SES.

Packaged once (dev) with ``chalice package`` and the merge template, checked
offline, and expanded with the SAM transform as CloudFormation would.
"""
from __future__ import annotations

import json

import pytest

from chalicelib.aws.models import Signature
from tests.support.deploy import (
    CONFIG,
    CONFIGURATION_SET_ARN,
    IDENTITY_ARN,
    Recorder,
    get_att,
    grants,
    lint_errors,
    logs_arn,
    resolve,
    resources,
)
from tools import package as packaging
from tools.stream_settings import MAILER, filter_patterns, stream_settings

FUNCTION = "SendVerificationMail"
ROLE = "SendVerificationMailRole"
EVENT = "SendVerificationMailDynamodbEventSource"
QUEUE = "VerificationMailFailureQueue"
CONFIGURATION_SET = "VerificationMailConfigurationSet"
TOPIC = "MailFeedbackTopic"
VERIFY_SECRET_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                                "parameter/countersign/${Stage}/verify-token-secret"}

MAILER_GRANTS = [
    ("dynamodb:DescribeStream", get_att("SignaturesTable", "StreamArn")),
    ("dynamodb:GetRecords", get_att("SignaturesTable", "StreamArn")),
    ("dynamodb:GetShardIterator", get_att("SignaturesTable", "StreamArn")),
    ("dynamodb:ListStreams", get_att("SignaturesTable", "StreamArn")),
    ("dynamodb:UpdateItem", get_att("SignaturesTable", "Arn")),  # the claim, and giving it back
    ("dynamodb:GetItem", get_att("PetitionsTable", "Arn")),  # the petition's title
    ("ssm:GetParameter", VERIFY_SECRET_ARN),
    ("ses:SendEmail", IDENTITY_ARN),
    ("ses:SendEmail", CONFIGURATION_SET_ARN),  # SES authorises a send against its configuration set too
    ("sqs:SendMessage", get_att(QUEUE, "Arn")),
    ("logs:CreateLogStream", logs_arn("mailer")),
    ("logs:PutLogEvents", logs_arn("mailer")),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    sam = packaging.package("dev", tmp_path_factory.mktemp("mailer") / "out")
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


def mapping(template) -> dict:
    events = template["Resources"][FUNCTION]["Properties"]["Events"]
    assert list(events) == [EVENT] and events[EVENT]["Type"] == "DynamoDB"
    return events[EVENT]["Properties"]


# ---- the function and what it may do -------------------------------------------------

def test_the_mailer_is_its_own_function_with_its_own_role_and_log_group(template):
    props = template["Resources"][FUNCTION]["Properties"]
    assert props["Role"] == get_att(ROLE, "Arn") and props["Runtime"] == "python3.11"
    assert resolve(props["FunctionName"], template, "dev") == "countersign-dev-mailer"
    (group,) = template["Resources"][FUNCTION]["DependsOn"]
    assert resolve(template["Resources"][group]["Properties"]["LogGroupName"], template, "dev") \
        == "/aws/lambda/countersign-dev-mailer"
    assert "ManagedPolicyArns" not in template["Resources"][ROLE]["Properties"]


def test_the_mailers_policy_lists_exactly_the_needed_actions_and_resources(template):
    expected = {(action, json.dumps(resource, sort_keys=True)) for action, resource in MAILER_GRANTS}
    assert grants(template["Resources"][ROLE]) == expected


def test_only_the_mailer_and_the_api_may_send_mail_and_only_as_the_sender_identity(template):
    """The API sends admin sign-in links; both send only as the sender, through the stack's configuration set."""
    senders = {}
    for name, role in resources(template, "AWS::IAM::Role").items():
        ses = {(action, resource) for action, resource in grants(role) if action.startswith("ses:")}
        if ses:
            senders[name] = ses
    expected = {("ses:SendEmail", json.dumps(arn, sort_keys=True)) for arn in (IDENTITY_ARN, CONFIGURATION_SET_ARN)}
    assert senders == {ROLE: expected, "ApiHandlerRole": expected}


def test_the_api_sends_with_the_mailers_settings(template):
    api = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    mailer = template["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"]
    for name in ("MAIL_TRANSPORT", "MAIL_FROM", "MAIL_CONFIGURATION_SET"):
        assert api[name] == mailer[name], name
    assert api["MAIL_TRANSPORT"] == "ses"
    assert api["PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}  # sign-in links need the stack's public address


def test_the_identity_granted_is_the_sender_address_or_the_identity_given(template):
    template = json.loads(json.dumps(template))
    identity = IDENTITY_ARN["Fn::Sub"][1]["Identity"]
    conditions = template["Conditions"]
    assert conditions["HasMailIdentity"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "MailIdentity"}, ""]}]}
    assert template["Parameters"]["MailFrom"]["Type"] == template["Parameters"]["MailIdentity"]["Type"] == "String"
    assert identity["Fn::If"][1:] == [{"Ref": "MailIdentity"}, {"Ref": "MailFrom"}]


def test_the_mailer_is_configured_for_ses_links_and_its_secret(template):
    env = template["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"]
    assert env["MAIL_TRANSPORT"] == "ses"
    assert env["MAIL_CONFIGURATION_SET"] == {"Ref": CONFIGURATION_SET}
    assert env["MAIL_FROM"] == {"Fn::If": ["HasMailFrom", {"Fn::Sub": "Countersign <${MailFrom}>"}, ""]}
    # links come from configuration: the given public address, else the site's own (the CDN, else the API)
    assert env["PUBLIC_BASE_URL"] == {"Fn::If": ["HasPublicBaseUrl", {"Ref": "PublicBaseUrl"}, {"Fn::If": ["UseCdn", {
        "Fn::If": ["UseHttpApi", {"Fn::Sub": "https://${CdnDistribution.DomainName}"},
                   {"Fn::Sub": "https://${CdnDistribution.DomainName}/api"}]}, {
        "Fn::If": ["UseHttpApi", {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
                   {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"}]}]}]}
    assert env["SIGNATURES_TABLE"] == {"Ref": "SignaturesTable"} and env["PETITIONS_TABLE"] == {"Ref": "PetitionsTable"}
    for stage in packaging.STAGES:
        parameter = CONFIG["stages"][stage]["environment_variables"]["VERIFY_TOKEN_PARAMETER"]
        assert resolve(VERIFY_SECRET_ARN, template, stage).endswith(":parameter" + parameter)
    assert "VERIFY_TOKEN_SECRET" not in json.dumps(template), "the secret never goes into the template"


# ---- the stream mapping ---------------------------------------------------------------

def test_the_mailer_reads_the_signatures_stream_filtered_to_pending_signatures_and_new_opt_ins(template):
    props = mapping(template)
    assert props["Stream"] == get_att("SignaturesTable", "StreamArn")
    assert props["StartingPosition"] == "TRIM_HORIZON"
    pending, opt_in = props["FilterCriteria"]["Filters"]
    assert json.loads(pending["Pattern"]) == {"dynamodb": {"NewImage": {"status": {"S": ["pending"]}}}}
    # A new counted signature that ticked "send me campaign updates": its opt-in mail (no third stream reader).
    assert json.loads(opt_in["Pattern"]) == {"eventName": ["INSERT"], "dynamodb": {"NewImage": {
        "status": {"S": ["confirmed"]}, "updates_opt_in": {"BOOL": [True]}}}}
    assert "TumblingWindowInSeconds" not in props  # it needs no shard id: each mail is claimed on its item


def test_failed_mail_is_retried_a_bounded_number_of_times_then_sent_to_its_own_queue(template):
    props = mapping(template)
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 <= props["MaximumRetryAttempts"] <= 100
    assert 60 <= props["MaximumRecordAgeInSeconds"] <= 86400
    assert props["DestinationConfig"] == {"OnFailure": {"Destination": get_att(QUEUE, "Arn")}}
    assert template["Resources"][QUEUE]["Type"] == "AWS::SQS::Queue"
    assert template["Resources"][QUEUE]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_the_local_runner_reads_the_mailers_deployed_settings_and_filter(template):
    props = mapping(template)
    assert stream_settings(MAILER) == {key: props[key] for key in stream_settings(MAILER)}
    assert filter_patterns(MAILER) == [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]


def test_lambda_gets_the_mailers_settings_and_filter_after_the_sam_transform(transformed):
    [props] = [m["Properties"] for m in resources(transformed, "AWS::Lambda::EventSourceMapping").values()
               if m["Properties"]["FunctionName"] == {"Ref": FUNCTION}]
    assert props["EventSourceArn"] == get_att("SignaturesTable", "StreamArn")
    assert props["FilterCriteria"]["Filters"][0]["Pattern"].count("pending") == 1
    assert "updates_opt_in" in props["FilterCriteria"]["Filters"][1]["Pattern"]
    assert props["DestinationConfig"] == {"OnFailure": {"Destination": get_att(QUEUE, "Arn")}}
    for key, value in stream_settings(MAILER).items():
        assert props[key] == value, key


def test_two_readers_of_the_stream_at_most(transformed):
    """A shard serves about two concurrent readers: the tally and the mailer are the budget."""
    mappings = resources(transformed, "AWS::Lambda::EventSourceMapping").values()
    streams = [m["Properties"]["EventSourceArn"] for m in mappings]
    assert streams.count(get_att("SignaturesTable", "StreamArn")) == 2


# ---- TTL, alarms, bounces and complaints ------------------------------------------------

def test_unconfirmed_signatures_expire_by_ttl_on_the_models_attribute(template):
    spec = template["Resources"]["SignaturesTable"]["Properties"]["TimeToLiveSpecification"]
    assert spec == {"AttributeName": "expires_at", "Enabled": True}
    assert Signature.expires_at.attr_name == "expires_at"


def test_alarms_watch_the_mailers_lag_errors_queue_and_the_senders_reputation(template):
    alarms = {name: a["Properties"] for name, a in resources(template, "AWS::CloudWatch::Alarm").items()
              if name.startswith("Mail")}
    function = [{"Name": "FunctionName", "Value": {"Ref": FUNCTION}}]
    found = {(a["Namespace"], a["MetricName"]): a for a in alarms.values()}
    assert found[("AWS/Lambda", "IteratorAge")]["Dimensions"] == function
    assert found[("AWS/Lambda", "Errors")]["Dimensions"] == function
    queue = found[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    assert queue["Dimensions"] == [{"Name": "QueueName", "Value": get_att(QUEUE, "QueueName")}]
    assert found[("AWS/SES", "Reputation.BounceRate")]["Threshold"] == 0.05
    assert found[("AWS/SES", "Reputation.ComplaintRate")]["Threshold"] == 0.001
    assert len(alarms) == 5
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}],
                                                    {"Ref": "AWS::NoValue"}]}


def test_bounces_and_complaints_reach_an_sns_topic_through_the_configuration_set(template):
    res = template["Resources"]
    assert res[CONFIGURATION_SET]["Type"] == "AWS::SES::ConfigurationSet"
    [destination] = resources(template, "AWS::SES::ConfigurationSetEventDestination").values()
    props = destination["Properties"]
    assert props["ConfigurationSetName"] == {"Ref": CONFIGURATION_SET}
    assert {"bounce", "complaint"} <= set(props["EventDestination"]["MatchingEventTypes"])
    assert props["EventDestination"]["Enabled"] is True
    assert props["EventDestination"]["SnsDestination"] == {"TopicARN": {"Ref": TOPIC}}
    [policy] = resources(template, "AWS::SNS::TopicPolicy").values()
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "ses.amazonaws.com"} and statement["Action"] == "sns:Publish"
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert template["Outputs"]["MailFeedbackTopicArn"]["Value"] == {"Ref": TOPIC}


def test_cfn_lint_reports_no_errors_or_warnings_on_the_expanded_template(transformed):
    assert lint_errors(json.dumps(transformed)) == []


# ---- the code makes only the calls its policy allows --------------------------------------

def allowed(role_grants) -> set:
    """Grants in terms of the test tables' and parameters' names."""
    names = {"SignaturesTable": "test-signatures", "PetitionsTable": "test-petitions", "TotalsTable": "test-totals"}
    found = set()
    for action, resource in role_grants:
        if "Fn::GetAtt" in resource and resource["Fn::GetAtt"][1] == "Arn":
            found.add((action, names.get(resource["Fn::GetAtt"][0], resource["Fn::GetAtt"][0])))
        elif action == "ssm:GetParameter":
            found.add((action, "/countersign/dev/" + resource["Fn::Sub"].rsplit("/", 1)[1]))
        elif action == "ses:SendEmail":
            found.add((action, None))
    return found


@pytest.fixture
def deployed_configuration(tables, monkeypatch):
    """As deployed: secrets from Parameter Store, mail through SES."""
    from chalicelib.aws import clients
    from tools.caches import reset_caches

    for name in ("SIGNATURE_KEY_SECRET", "VERIFY_TOKEN_SECRET"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("SIGNATURE_KEY_PARAMETER", "/countersign/dev/signature-key-secret")
    monkeypatch.setenv("VERIFY_TOKEN_PARAMETER", "/countersign/dev/verify-token-secret")
    monkeypatch.setenv("MAIL_TRANSPORT", "ses")
    monkeypatch.setenv("MAIL_FROM", "Countersign <petitions@example.org>")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://petitions.example.org")
    reset_caches()
    for name in ("signature-key-secret", "verify-token-secret"):
        clients.ssm().put_parameter(Name=f"/countersign/dev/{name}", Value="s3cret", Type="SecureString")
    clients.sesv2().create_email_identity(EmailIdentity="petitions@example.org")
    yield
    reset_caches()


def test_sign_mail_and_confirm_make_only_the_calls_each_function_may_make(deployed_configuration, monkeypatch):
    from chalice.test import Client

    import app
    from tests.support.deploy import EXPECTED_GRANTS
    from tests.support.streams import event, read_moto_stream
    from tools import petition_admin
    from tools.caches import reset_caches
    from tools.stream_consumers import app_handler

    petition_admin.create("demo", "A petition", "Its summary.", 1000, require_verification=True)
    recorder = Recorder(monkeypatch)
    with Client(app.app) as client:
        body = json.dumps({"name": "Ada Lovelace", "email": "ada@example.org", "country": "GB", "consent": True})
        for _ in range(2):  # the second asks for the mail again
            assert client.http.post("/petitions/demo/signatures", headers={"content-type": "application/json"},
                                    body=body).status_code == 202
    api_calls = set(recorder.calls)
    [(shard, records)] = read_moto_stream()  # what Lambda's poller reads, with its own permissions
    recorder.calls = set()
    reset_caches()  # the mailer runs in a container of its own
    assert app_handler("mailer")(event(records, shard), None) == {"batchItemFailures": []}
    mailer_calls, recorder.calls = recorder.calls, set()
    assert ("ses:SendEmail", None) in mailer_calls  # SESv2 signs as "ses", the service its actions belong to

    from chalicelib.verification import tokens

    [signature] = list(Signature.scan())
    recorder.calls = set()
    token = tokens.make(signature.signature_key)
    with Client(app.app) as client:
        assert client.http.get(f"/petitions/demo/confirm?token={token}").status_code == 200
        assert client.http.post("/petitions/demo/confirm", headers={"content-type": "application/json"},
                                body=json.dumps({"token": token})).status_code == 200
        assert client.http.post("/petitions/demo/confirm/resend", headers={"content-type": "application/json"},
                                body=json.dumps({"token": token})).status_code == 200
    api_calls |= recorder.calls

    assert api_calls <= allowed(EXPECTED_GRANTS["ApiHandlerRole"])
    assert ("dynamodb:UpdateItem", "test-signatures") in api_calls  # the resend, the confirmation
    assert mailer_calls <= allowed(MAILER_GRANTS)
    assert {("dynamodb:UpdateItem", "test-signatures"), ("ssm:GetParameter", "/countersign/dev/verify-token-secret"),
            ("dynamodb:GetItem", "test-petitions")} <= mailer_calls


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_permissions_boundary_lets_the_mailer_do_its_job(stage):
    """Every role carries the boundary, so anything the mailer is granted must also be inside it."""
    from tests.support.deploy import ACCOUNT, REGION, allows, concrete, filled_policy

    boundary = filled_policy("function-boundary.json")
    stack = f"countersign-{stage}"
    arns = {
        json.dumps(IDENTITY_ARN, sort_keys=True): f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/example.org",
        json.dumps(CONFIGURATION_SET_ARN, sort_keys=True):
            f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{stack}-VerificationMailConfigurationSet-1A2B3C",
        json.dumps(get_att(QUEUE, "Arn"), sort_keys=True):
            f"arn:aws:sqs:{REGION}:{ACCOUNT}:{stack}-{QUEUE}-1A2B3C4D5E6F",
    }
    for action, resource in MAILER_GRANTS:
        arn = arns.get(json.dumps(resource, sort_keys=True)) or concrete(resource, stage)
        assert allows(boundary, action, arn), (action, arn)
