"""The packaged templates and policies, and helpers to read and evaluate them (fixtures included)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.client

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = {"APIHandler": "ApiHandlerRole", "OnSignatureChange": "OnSignatureChangeRole",
             "SendVerificationMail": "SendVerificationMailRole",  # the mailer's own checks: test_deploy_mailer.py
             "Export": "ExportRole", "Retention": "RetentionRole"}  # data rights: test_deploy_rights.py


CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())




QUEUE = "SignatureStreamFailureQueue"


def get_att(resource, attribute):
    return {"Fn::GetAtt": [resource, attribute]}


def logs_arn(suffix):
    return {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                       "log-group:/aws/lambda/${AWS::StackName}-" + suffix + ":*"}


SECRET_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                         "parameter/countersign/${Stage}/signature-key-secret"}


ALLOWLIST_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                            "parameter/countersign/${Stage}/admin-allowlist"}


BLOCKLISTS_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                             "parameter/countersign/${Stage}/blocklists"}


CHALLENGE_SECRET_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                                   "parameter/countersign/${Stage}/challenge-secret"}


VERIFY_SECRET_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:"
                                "parameter/countersign/${Stage}/verify-token-secret"}


# Exactly what each function may do, on exactly which resource.
# Who may send mail: only as the sender identity, through the stack's configuration set.
SENDER = {"Fn::If": ["HasMailIdentity", {"Ref": "MailIdentity"}, {"Ref": "MailFrom"}]}


IDENTITY_ARN = {"Fn::Sub": ["arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${Identity}",
                            {"Identity": SENDER}]}


CONFIGURATION_SET_ARN = {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:"
                                    "configuration-set/${VerificationMailConfigurationSet}"}


EXPECTED_GRANTS = {
    "ApiHandlerRole": [
        ("dynamodb:GetItem", get_att("PetitionsTable", "Arn")),
        ("dynamodb:Scan", get_att("PetitionsTable", "Arn")),
        ("dynamodb:PutItem", get_att("SignaturesTable", "Arn")),
        ("dynamodb:GetItem", get_att("SignaturesTable", "Arn")),  # confirmation links
        ("dynamodb:UpdateItem", get_att("SignaturesTable", "Arn")),
        ("dynamodb:DeleteItem", get_att("SignaturesTable", "Arn")),  # "Remove my signature"
        ("ssm:GetParameter", VERIFY_SECRET_ARN),
        ("dynamodb:Query", get_att("TotalsTable", "Arn")),
        ("ssm:GetParameter", SECRET_ARN),
        # the admin area: petitions and their goal, sign-in links and sessions, the audit, the allowlist
        ("dynamodb:PutItem", get_att("PetitionsTable", "Arn")),
        ("dynamodb:UpdateItem", get_att("TotalsTable", "Arn")),
        ("dynamodb:GetItem", get_att("AdminTable", "Arn")),
        ("dynamodb:PutItem", get_att("AdminTable", "Arn")),
        ("dynamodb:UpdateItem", get_att("AdminTable", "Arn")),
        ("dynamodb:DeleteItem", get_att("AdminTable", "Arn")),
        ("dynamodb:PutItem", get_att("AuditTable", "Arn")),
        ("dynamodb:Query", get_att("AuditTable", "Arn")),
        ("ssm:GetParameter", ALLOWLIST_ARN),
        ("ses:SendEmail", IDENTITY_ARN),  # admin sign-in links
        ("ses:SendEmail", CONFIGURATION_SET_ARN),
        ("ssm:GetParameter", BLOCKLISTS_ARN),  # the fraud controls' blocklists (absent: none)
        ("ssm:GetParameter", CHALLENGE_SECRET_ARN),  # the optional CAPTCHA's siteverify secret
        # the admin area's invalidation panel: the matching signatures (UpdateItem above changes them)
        ("dynamodb:Scan", get_att("SignaturesTable", "Arn")),
        ("lambda:InvokeFunction", get_att("Export", "Arn")),  # the admin page's export buttons start it
        ("s3:GetObject", {"Fn::Sub": "${ExportBucket.Arn}/exports/*"}),  # ...find its file and link to it
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
    "ExportRole": [
        ("dynamodb:Scan", get_att("SignaturesTable", "Arn")),
        ("dynamodb:Query", get_att("TotalsTable", "Arn")),  # the summary: the figures /totals answers
        ("dynamodb:PutItem", get_att("AuditTable", "Arn")),  # every export is audited
        ("s3:PutObject", {"Fn::Sub": "${ExportBucket.Arn}/exports/*"}),
        ("s3:AbortMultipartUpload", {"Fn::Sub": "${ExportBucket.Arn}/exports/*"}),
        ("s3:GetObject", {"Fn::Sub": "${ExportBucket.Arn}/exports/*"}),  # what the presigned link is signed for
        ("logs:CreateLogStream", logs_arn("export")),
        ("logs:PutLogEvents", logs_arn("export")),
    ],
    "RetentionRole": [
        ("dynamodb:Scan", get_att("SignaturesTable", "Arn")),  # a closed petition's signatures
        ("dynamodb:DeleteItem", get_att("SignaturesTable", "Arn")),  # re-keying is a transaction: delete and put
        ("dynamodb:PutItem", get_att("SignaturesTable", "Arn")),
        ("dynamodb:Scan", get_att("PetitionsTable", "Arn")),
        ("dynamodb:UpdateItem", get_att("PetitionsTable", "Arn")),  # closed_at, anonymised_at
        ("dynamodb:PutItem", get_att("AuditTable", "Arn")),
        ("logs:CreateLogStream", logs_arn("retention")),
        ("logs:PutLogEvents", logs_arn("retention")),
    ],
}






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


def table_grants(role):
    """The policy of a role in terms of the test tables' names."""
    names = {"SignaturesTable": "test-signatures", "PetitionsTable": "test-petitions", "TotalsTable": "test-totals",
             "AdminTable": "test-admin", "AuditTable": "test-audit"}
    allowed = set()
    for action, resource in EXPECTED_GRANTS[role]:
        if "Fn::GetAtt" in resource and resource["Fn::GetAtt"][1] == "Arn":
            allowed.add((action, names.get(resource["Fn::GetAtt"][0])))
        elif action == "ssm:GetParameter":
            allowed.add((action, resource["Fn::Sub"].split(":parameter")[1].replace("${Stage}", "dev")))
    return allowed




def handler_permissions(resource_type):
    """What CloudFormation calls to create, read, update and delete a resource type (from cfn-lint's schemas)."""
    import cfnlint.data.schemas

    schemas = Path(cfnlint.data.schemas.__file__).parent
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    schema = json.loads((schemas / "resources" / f"{index[resource_type]}.json").read_text())
    handlers = schema.get("handlers", {})
    return {p for verb in ("create", "read", "update", "delete") for p in handlers.get(verb, {}).get("permissions", [])}


ACCOUNT = "123456789012"


REGION = "eu-west-2"


def filled_policy(name):
    """A policy from infra/ with its placeholders filled in, as the guide's sed command does."""
    text = (ROOT / "infra" / name).read_text()
    for placeholder, example in (("REGION", REGION), ("ACCOUNT_ID", ACCOUNT), ("ARTIFACT_BUCKET", "b")):
        text = text.replace(placeholder, example)
    return json.loads(text)


def _listed(value):
    return value if isinstance(value, list) else [value]


def _wildcard(pattern, value, case_sensitive=True):
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _condition_holds(condition, context):
    """The few condition operators these policies use; a missing key matches only the negated ones."""
    for operator, tests in condition.items():
        for key, expected in tests.items():
            actual = context.get(key)
            expected = _listed(expected)
            if operator == "StringEquals":
                holds = actual is not None and actual in expected
            elif operator == "StringNotEquals":
                holds = actual is None or actual not in expected
            elif operator == "StringLike":
                holds = actual is not None and any(_wildcard(e, actual) for e in expected)
            else:
                raise AssertionError(f"the test evaluator does not know {operator}")
            if not holds:
                return False
    return True


def allows(policy, action, resource, **context):
    """IAM's verdict for one request under one identity policy: an explicit deny wins, then any allow."""
    verdicts = set()
    for statement in policy["Statement"]:
        if not any(_wildcard(a, action, case_sensitive=False) for a in _listed(statement["Action"])):
            continue
        if not any(_wildcard(r, resource) for r in _listed(statement["Resource"])):
            continue
        if _condition_holds(statement.get("Condition", {}), context):
            verdicts.add(statement["Effect"])
    return "Deny" not in verdicts and "Allow" in verdicts


def concrete(value, stage):
    """A grant's resource as the ARN it becomes in an account (stream and queue names as AWS makes them)."""
    stack = f"countersign-{stage}"
    arns = {
        ("SignaturesTable", "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{stack}-signatures",
        ("PetitionsTable", "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{stack}-petitions",
        ("TotalsTable", "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{stack}-totals",
        ("AdminTable", "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{stack}-admin",
        ("AuditTable", "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{stack}-audit",
        ("SignaturesTable", "StreamArn"):
            f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{stack}-signatures/stream/2026-11-27T20:00:00.000",
        (QUEUE, "Arn"): f"arn:aws:sqs:{REGION}:{ACCOUNT}:{stack}-{QUEUE}-1A2B3C4D5E6F",
        ("ExportBucket", "Arn"): f"arn:aws:s3:::{stack}-exportbucket-1a2b3c4d5e6f",
        ("Export", "Arn"): f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{stack}-export",
    }
    if "Fn::GetAtt" in value:
        return arns[tuple(value["Fn::GetAtt"])]
    if value == IDENTITY_ARN:  # the campaign's sender domain
        return f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/example.org"
    if value == CONFIGURATION_SET_ARN:
        return f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{stack}-VerificationMailConfigurationSet-1A2B3C"
    text = value["Fn::Sub"]
    for variable, replacement in (("AWS::Partition", "aws"), ("AWS::Region", REGION), ("AWS::AccountId", ACCOUNT),
                                  ("AWS::StackName", stack), ("Stage", stage),
                                  ("ExportBucket.Arn", arns[("ExportBucket", "Arn")])):
        text = text.replace("${%s}" % variable, replacement)
    assert "${" not in text, text
    return text


def lint_errors(text):
    """cfn-lint's errors and warnings (its informational notes are left out)."""
    from cfnlint.api import lint

    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in lint(text) if m.rule.id[0] in "EW"]
