"""The edge rate limits: an AWS WAF web ACL, made in one place for both places it can attach.

WAF attaches to a REST API stage or a CloudFront distribution, never to an
HTTP API, and a web ACL for CloudFront must be created in us-east-1 whatever
the stack's region. So there are two shapes, with the same rules:

- ``Waf=on`` in the stage's own stack (``add``): a REGIONAL web ACL on the
  REST API's stage. Only with ``FrontDoor=rest`` and ``Cdn=off``: behind the
  distribution the stage sees edge servers' addresses, and a per-address
  limit there would limit whole cities. The template refuses other
  combinations (its Rules section).
- With the CDN on (the default): a small stack of its own in us-east-1
  (``edge_template``, written beside sam.json as waf-edge.json; ``make
  deploy-edge-waf``), whose output ARN the stage's stack takes as
  ``WebAclArn``. The distribution then sends signatures through itself too
  (direct signing to the API's own address is turned off: WAF would not see
  them).

The rules, in order: AWS's IP reputation list, AWS's known bad inputs, and a
rate-based rule that blocks a client address's POSTs to the sign route past
``WafRateLimit`` in ``WafRateWindow`` seconds, answering 429 with a body in
the API's error shape. WAF's metrics go to CloudWatch; an alarm fires on
blocked requests. None of this runs locally: tests check the template.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SIGN_PATH_REGEX = r"^(/api)?/petitions/[^/]+/signatures/?$"  # the REST stage's prefix, or none
RATE_LIMITED_BODY = "rate-limited"
RATE_LIMITED_MESSAGE = "Too many signatures from your network just now. Please try again in a few minutes."
MANAGED_GROUPS = ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet")
RATE_RULE = "SignRateLimit"
BLOCKED_ALARM_THRESHOLD = 1000  # blocked requests in 5 minutes: an attack worth a look, not a stray script

PARAMETERS = {
    "WafRateLimit": {
        "Type": "Number", "Default": 100, "MinValue": 10, "MaxValue": 2000000000,
        "Description": "WAF: POSTs to the sign route one client address may make per WafRateWindow before "
                       "WAF answers 429 (households and offices share an address: not too low)."},
    "WafRateWindow": {
        "Type": "Number", "Default": 300, "AllowedValues": [60, 120, 300, 600],
        "Description": "WAF: the rate limit's window in seconds."},
}


ACL_NAME = {"Fn::Sub": "${AWS::StackName}-waf"}


def _visibility(name: str | dict) -> dict:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def rules() -> list[dict]:
    managed = [{
        "Name": group, "Priority": i, "OverrideAction": {"None": {}},
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
        "VisibilityConfig": _visibility(group),
    } for i, group in enumerate(MANAGED_GROUPS)]
    sign_posts = {"AndStatement": {"Statements": [
        {"ByteMatchStatement": {"FieldToMatch": {"Method": {}}, "PositionalConstraint": "EXACTLY",
                                "SearchString": "POST", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
        {"RegexMatchStatement": {"FieldToMatch": {"UriPath": {}}, "RegexString": SIGN_PATH_REGEX,
                                 "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
    ]}}
    rate = {
        "Name": RATE_RULE, "Priority": len(managed),
        "Action": {"Block": {"CustomResponse": {
            "ResponseCode": 429, "CustomResponseBodyKey": RATE_LIMITED_BODY,
            "ResponseHeaders": [{"Name": "Retry-After", "Value": "60"}]}}},
        "Statement": {"RateBasedStatement": {
            "Limit": {"Ref": "WafRateLimit"}, "EvaluationWindowSec": {"Ref": "WafRateWindow"},
            "AggregateKeyType": "IP", "ScopeDownStatement": sign_posts}},
        "VisibilityConfig": _visibility(RATE_RULE),
    }
    return [*managed, rate]


def web_acl(scope: str, condition: str | None = None) -> dict:
    acl = {
        "Type": "AWS::WAFv2::WebACL",
        "Properties": {
            "Name": ACL_NAME,
            "Scope": scope,
            "Description": "Countersign: IP reputation, known bad inputs, and a per-address rate limit on signing",
            "DefaultAction": {"Allow": {}},
            "CustomResponseBodies": {RATE_LIMITED_BODY: {
                "ContentType": "APPLICATION_JSON",
                "Content": json.dumps({"error": RATE_LIMITED_MESSAGE})}},
            "Rules": rules(),
            # WAF's WebACL metric dimension is this metric name: the same as the ACL's name, for the alarm.
            "VisibilityConfig": _visibility(ACL_NAME),
        },
    }
    if condition:
        acl["Condition"] = condition
    return acl


def blocked_alarm(region_dimension: dict | None, condition: str | None = None) -> dict:
    dimensions = [{"Name": "WebACL", "Value": ACL_NAME}, {"Name": "Rule", "Value": "ALL"}]
    if region_dimension:
        dimensions.append(region_dimension)
    alarm = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "WAF blocked many requests in 5 minutes: a burst against the sign route or a "
                                "bad-reputation source (see the web ACL's sampled requests; make invalidate "
                                "for what got through).",
            "Namespace": "AWS/WAFV2", "MetricName": "BlockedRequests", "Dimensions": dimensions,
            "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": BLOCKED_ALARM_THRESHOLD,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]},
        },
    }
    if condition:
        alarm["Condition"] = condition
    return alarm


def add(template: dict) -> dict:
    """The regional web ACL on the REST stage (``Waf=on``), and direct signing off when a web ACL fronts the CDN."""
    template["Parameters"].update({
        "Waf": {"Type": "String", "AllowedValues": ["on", "off"], "Default": "off",
                "Description": "A WAF web ACL on the REST API's stage (needs FrontDoor=rest and Cdn=off; with "
                               "the CDN, deploy the edge web ACL and pass WebAclArn). See docs/deploying.md."},
        **PARAMETERS,
    })
    conditions = template["Conditions"]
    conditions["WafOn"] = {"Fn::Equals": [{"Ref": "Waf"}, "on"]}
    conditions["UseRegionalWaf"] = {"Fn::And": [{"Condition": "WafOn"}, {"Condition": "UseRestApi"},
                                                {"Fn::Not": [{"Condition": "UseCdn"}]}]}
    # WAF on the distribution must see signatures: no direct signing past it.
    direct = conditions["SignDirect"]["Fn::And"]
    if {"Fn::Not": [{"Condition": "HasWebAcl"}]} not in direct:
        direct.append({"Fn::Not": [{"Condition": "HasWebAcl"}]})
    template.setdefault("Rules", {})["WafNeedsRestWithoutCdn"] = {
        "RuleCondition": {"Fn::Equals": [{"Ref": "Waf"}, "on"]},
        "Assertions": [{
            "Assert": {"Fn::And": [{"Fn::Equals": [{"Ref": "FrontDoor"}, "rest"]},
                                   {"Fn::Equals": [{"Ref": "Cdn"}, "off"]}]},
            "AssertDescription": "Waf=on attaches to the REST API's stage: it needs FrontDoor=rest and Cdn=off. "
                                 "With the CDN, deploy the edge web ACL (make deploy-edge-waf) and pass WebAclArn.",
        }],
    }
    resources = template["Resources"]
    resources["WebAcl"] = web_acl("REGIONAL", "UseRegionalWaf")
    resources["WebAclAssociation"] = {
        "Type": "AWS::WAFv2::WebACLAssociation",
        "Condition": "UseRegionalWaf",
        "Properties": {
            # RestAPI.Stage: SAM's name for the stage it makes, so the association waits for it.
            "ResourceArn": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}"
                                       "/stages/${RestAPI.Stage}"},
            "WebACLArn": {"Fn::GetAtt": ["WebAcl", "Arn"]},
        },
    }
    resources["WafBlockedAlarm"] = blocked_alarm({"Name": "Region", "Value": {"Ref": "AWS::Region"}},
                                                 "UseRegionalWaf")
    return template


def edge_template() -> dict:
    """The CloudFront-scope web ACL's own stack (deploy it in us-east-1; its output is WebAclArn)."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Countersign: the WAF web ACL for a stage's CloudFront distribution (us-east-1 only)",
        "Parameters": {
            **PARAMETERS,
            "AlarmTopicArn": {"Type": "String", "Default": "",
                              "Description": "Optional SNS topic ARN (in us-east-1) the alarm notifies."},
        },
        "Conditions": {"HasAlarmTopic": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}},
        "Rules": {"OnlyInUsEast1": {"Assertions": [{
            "Assert": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
            "AssertDescription": "A web ACL for CloudFront must be created in us-east-1."}]}},
        "Resources": {
            "WebAcl": web_acl("CLOUDFRONT"),
            # CloudFront web ACLs report their metrics in us-east-1 with the Region dimension absent.
            "WafBlockedAlarm": blocked_alarm(None),
        },
        "Outputs": {"WebAclArn": {"Description": "Pass to the stage's stack: PARAMETERS='WebAclArn=...'",
                                  "Value": {"Fn::GetAtt": ["WebAcl", "Arn"]}}},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.waf", description="Write the edge web ACL's template.")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(edge_template(), indent=2) + "\n")
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
