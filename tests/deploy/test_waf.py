"""The edge rate limits in the templates, after the SAM transform: the web ACL, where it attaches, its rules.

WAF cannot run locally; these check the rules as data and lint both templates.
"""
from __future__ import annotations

import json
import re

import pytest

from tests.support.deploy import lint_errors, resources
from tools import waf


@pytest.fixture(scope="module")
def dev(transformed):
    return transformed["dev"]


def acl(template) -> dict:
    (found,) = resources(template, "AWS::WAFv2::WebACL").values()
    return found


def rule(web_acl, name) -> dict:
    (found,) = [r for r in web_acl["Properties"]["Rules"] if r["Name"] == name]
    return found


def test_the_regional_web_acl_is_a_switch_for_a_rest_stage_without_the_cdn(dev):
    assert dev["Parameters"]["Waf"]["Default"] == "off"
    assert dev["Conditions"]["UseRegionalWaf"] == {"Fn::And": [
        {"Condition": "WafOn"}, {"Condition": "UseRestApi"}, {"Fn::Not": [{"Condition": "UseCdn"}]}]}
    web_acl = acl(dev)
    assert web_acl["Condition"] == "UseRegionalWaf" and web_acl["Properties"]["Scope"] == "REGIONAL"
    # Waf=on anywhere else is refused before anything is created.
    [assertion] = dev["Rules"]["WafNeedsRestWithoutCdn"]["Assertions"]
    assert assertion["Assert"] == {"Fn::And": [{"Fn::Equals": [{"Ref": "FrontDoor"}, "rest"]},
                                               {"Fn::Equals": [{"Ref": "Cdn"}, "off"]}]}


def test_the_web_acl_is_associated_with_the_rest_stage_sam_makes(dev):
    (association,) = resources(dev, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Condition"] == "UseRegionalWaf"
    (stage_id,) = resources(dev, "AWS::ApiGateway::Stage")
    arn = association["Properties"]["ResourceArn"]["Fn::Sub"]
    assert arn == ("arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/${" + stage_id + "}")
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}


def test_the_rate_rule_limits_posts_to_the_sign_route_per_address_by_parameters(dev):
    rate = rule(acl(dev), waf.RATE_RULE)["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP"
    assert rate["Limit"] == {"Ref": "WafRateLimit"} and rate["EvaluationWindowSec"] == {"Ref": "WafRateWindow"}
    assert dev["Parameters"]["WafRateLimit"]["Default"] == 100
    assert dev["Parameters"]["WafRateWindow"]["Default"] == 300
    method, path = rate["ScopeDownStatement"]["AndStatement"]["Statements"]
    assert method["ByteMatchStatement"]["FieldToMatch"] == {"Method": {}}
    assert (method["ByteMatchStatement"]["SearchString"], method["ByteMatchStatement"]["PositionalConstraint"]) == \
        ("POST", "EXACTLY")
    pattern = re.compile(path["RegexMatchStatement"]["RegexString"])
    assert path["RegexMatchStatement"]["FieldToMatch"] == {"UriPath": {}}
    for signed in ("/petitions/demo/signatures", "/api/petitions/demo/signatures"):
        assert pattern.search(signed), signed
    for other in ("/petitions/demo/sign", "/petitions/demo/totals", "/petitions/demo/signatures/extra",
                  "/admin/petitions/demo", "/petitions/demo/confirm"):
        assert not pattern.search(other), other


def test_the_rate_rule_answers_429_in_the_apis_error_shape(dev):
    properties = acl(dev)["Properties"]
    block = rule(acl(dev), waf.RATE_RULE)["Action"]["Block"]["CustomResponse"]
    assert block["ResponseCode"] == 429
    body = properties["CustomResponseBodies"][block["CustomResponseBodyKey"]]
    assert body["ContentType"] == "APPLICATION_JSON"
    assert set(json.loads(body["Content"])) == {"error"} and "try again" in json.loads(body["Content"])["error"]


def test_the_managed_ip_reputation_and_known_bad_inputs_groups_come_first(dev):
    rules = sorted(acl(dev)["Properties"]["Rules"], key=lambda r: r["Priority"])
    assert [r["Statement"].get("ManagedRuleGroupStatement", {}).get("Name") for r in rules] == [
        "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet", None]
    assert all(r["Priority"] == i for i, r in enumerate(rules))
    assert all(r["VisibilityConfig"]["CloudWatchMetricsEnabled"] for r in rules)


def test_an_alarm_watches_blocked_requests(dev):
    alarm = dev["Resources"]["WafBlockedAlarm"]
    assert alarm["Condition"] == "UseRegionalWaf"
    properties = alarm["Properties"]
    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/WAFV2", "BlockedRequests")
    dimensions = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
    # The WebACL dimension is the ACL's metric name, which is its name.
    assert dimensions["WebACL"] == acl(dev)["Properties"]["VisibilityConfig"]["MetricName"] == \
        acl(dev)["Properties"]["Name"]
    assert dimensions["Region"] == {"Ref": "AWS::Region"}


def test_the_cloudfront_web_acl_has_its_own_us_east_1_stack_with_the_same_rules(dev):
    edge = waf.edge_template()
    edge_acl = acl(edge)
    assert edge_acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert edge_acl["Properties"]["Rules"] == acl(dev)["Properties"]["Rules"]
    assert edge["Outputs"]["WebAclArn"]["Value"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    [assertion] = edge["Rules"]["OnlyInUsEast1"]["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    assert "Region" not in {d["Name"] for d in edge["Resources"]["WafBlockedAlarm"]["Properties"]["Dimensions"]}
    # The stage's stack takes its ARN, and the distribution carries it.
    (cdn,) = resources(dev, "AWS::CloudFront::Distribution").values()
    assert cdn["Properties"]["DistributionConfig"]["WebACLId"] == {
        "Fn::If": ["HasWebAcl", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]}


def test_the_edge_template_is_lint_clean():
    assert lint_errors(json.dumps(waf.edge_template())) == []


def test_no_deployed_stage_believes_x_forwarded_for_and_each_reads_its_blocklists(packaged):
    for stage, text in packaged.items():
        assert "TRUST_FORWARDED_FOR" not in text, stage
        assert f"/countersign/{stage}/blocklists" in text, stage
