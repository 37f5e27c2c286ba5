"""The front door in the packaged template, after the SAM transform: the chosen API and the CDN in front.

An HTTP API (payload format 1.0, one explicit route per app route) by
default, the REST API Chalice generates by parameter; a CloudFront
distribution in front by default, caching by each answer's own
Cache-Control, never caching posts or the admin area, and proving itself to
the app with a secret header the app checks (tests/unit/web/test_origin_guard.py).
"""
from __future__ import annotations

import json
import re

import pytest

from app import app
from tests.support.deploy import CONFIG, allows, filled_policy, handler_permissions, lint_errors, resources
from tools import front_door

SSM_SECRET = {"Fn::Sub": "{{resolve:ssm:/countersign/${Stage}/origin-secret}}"}
READ = {"GET", "HEAD", "OPTIONS"}


def app_route_keys() -> set[str]:
    return {f"{method} {path}" for path, methods in app.routes.items() for method in methods}


def of_type(expanded, kind) -> dict:
    return resources(expanded, kind)


@pytest.fixture(scope="module")
def dev(transformed):
    return transformed["dev"]


def distribution(expanded) -> dict:
    (cdn,) = of_type(expanded, "AWS::CloudFront::Distribution").values()
    return cdn


# ---- the API ----------------------------------------------------------------------------

def test_an_http_api_is_the_default_front_door_and_rest_stays_available(dev):
    assert dev["Parameters"]["FrontDoor"]["Default"] == "http"
    assert dev["Parameters"]["FrontDoor"]["AllowedValues"] == ["http", "rest"]
    assert dev["Conditions"]["UseHttpApi"] == {"Fn::Equals": [{"Ref": "FrontDoor"}, "http"]}
    for kind in ("AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Stage",
                 "AWS::ApiGatewayV2::Route"):
        assert {r.get("Condition") for r in of_type(dev, kind).values()} == {"UseHttpApi"}, kind
    for kind in ("AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment"):
        assert {r.get("Condition") for r in of_type(dev, kind).values()} == {"UseRestApi"}, kind
    permissions = {r["Condition"]: r["Properties"] for r in of_type(dev, "AWS::Lambda::Permission").values()
                   if r["Properties"]["FunctionName"] == {"Ref": "APIHandler"}}  # (the schedule's is the retention's)
    assert set(permissions) == {"UseHttpApi", "UseRestApi"}
    assert permissions["UseHttpApi"]["FunctionName"] == {"Ref": "APIHandler"}
    assert permissions["UseHttpApi"]["SourceArn"]["Fn::Sub"].endswith(":${HttpApi}/*")


def test_the_http_api_has_exactly_the_apps_routes_each_explicit(transformed):
    for stage, expanded in transformed.items():
        routes = of_type(expanded, "AWS::ApiGatewayV2::Route").values()
        keys = [r["Properties"]["RouteKey"] for r in routes]
        assert sorted(keys) == sorted(app_route_keys()), stage  # no $default catch-all, no extra
        for route in routes:
            assert route["Properties"]["Target"] == {"Fn::Sub": "integrations/${HttpApiIntegration}"}


def test_the_http_api_sends_payload_format_1_0_to_the_api_function_on_its_default_stage(dev):
    (integration,) = of_type(dev, "AWS::ApiGatewayV2::Integration").values()
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    assert integration["Properties"]["PayloadFormatVersion"] == "1.0"
    assert integration["Properties"]["IntegrationUri"] == {"Fn::GetAtt": ["APIHandler", "Arn"]}
    (stage,) = of_type(dev, "AWS::ApiGatewayV2::Stage").values()
    assert stage["Properties"]["StageName"] == "$default"  # no stage in the path: the app's links need no prefix
    assert stage["Properties"]["AutoDeploy"] is True
    assert set(stage["DependsOn"]) == set(of_type(dev, "AWS::ApiGatewayV2::Route"))


def test_the_endpoint_output_names_the_chosen_api(dev):
    value = dev["Outputs"]["EndpointURL"]["Value"]["Fn::If"]
    assert value[0] == "UseHttpApi"
    assert "${HttpApi}" in value[1]["Fn::Sub"] and value[1]["Fn::Sub"].endswith("/")
    assert "${RestAPI}" in value[2]["Fn::Sub"] and value[2]["Fn::Sub"].endswith(f"/{CONFIG['api_gateway_stage']}/")
    assert dev["Outputs"]["RestAPIId"]["Condition"] == "UseRestApi"


# ---- the distribution ---------------------------------------------------------------------

def test_a_distribution_is_in_front_by_default_and_optional(dev):
    assert dev["Parameters"]["Cdn"] == {**dev["Parameters"]["Cdn"], "Default": "on", "AllowedValues": ["on", "off"]}
    for kind in ("AWS::CloudFront::Distribution", "AWS::CloudFront::CachePolicy",
                 "AWS::CloudFront::OriginRequestPolicy"):
        assert {r.get("Condition") for r in of_type(dev, kind).values()} == {"UseCdn"}, kind
    assert dev["Outputs"]["PublicURL"]["Condition"] == "UseCdn"


def test_its_origin_is_the_chosen_api_with_origin_shield_and_the_secret_header(dev):
    config = distribution(dev)["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    choice = origin["DomainName"]["Fn::If"]
    assert choice[0] == "UseHttpApi" and "${HttpApi}" in choice[1]["Fn::Sub"] and "${RestAPI}" in choice[2]["Fn::Sub"]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["OriginShield"]["Enabled"] is True
    assert origin["OriginCustomHeaders"] == [{"HeaderName": "X-Origin-Verify", "HeaderValue": SSM_SECRET}]
    # The function checks the same value, and only when the distribution exists.
    env = dev["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["ORIGIN_SECRET"] == {"Fn::If": ["UseCdn", SSM_SECRET, ""]}
    assert config["WebACLId"] == {"Fn::If": ["HasWebAcl", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]}


def cloudfront_match(pattern: str, path: str) -> bool:
    """CloudFront's path patterns: * is any run of characters, ? one; case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, path) is not None


def behaviour_for(config: dict, path: str, prefix: str = "") -> dict:
    for behavior in config["CacheBehaviors"]:
        template, values = behavior["PathPattern"]["Fn::Sub"]
        pattern = template.replace("${Prefix}", prefix)
        if cloudfront_match(pattern, path):
            return behavior
    return config["DefaultCacheBehavior"]


def policy(dev, behavior) -> dict:
    reference = behavior["CachePolicyId"]
    if isinstance(reference, str):
        return {"managed": reference}
    return dev["Resources"][reference["Ref"]]["Properties"]["CachePolicyConfig"]


def example_path(route: str) -> str:
    return re.sub(r"\{[^}]+\}", "demo", route)


@pytest.mark.parametrize("prefix", ["", "/" + CONFIG["api_gateway_stage"]])
def test_posts_and_the_admin_area_are_never_cached_and_reach_the_app_with_the_viewers_address(dev, prefix):
    config = distribution(dev)["Properties"]["DistributionConfig"]
    writes = [path for path, methods in app.routes.items() if set(methods) - READ]
    assert writes  # the sign path at least
    for path in writes + ["/admin", "/admin/petitions/demo"]:
        behavior = behaviour_for(config, prefix + example_path(path), prefix)
        assert behavior["CachePolicyId"] == front_door.CACHING_DISABLED, path
        assert set(behavior["AllowedMethods"]) >= {"POST", "OPTIONS", "GET"}, path
        assert behavior["ViewerProtocolPolicy"] == "https-only"
        forwarded = dev["Resources"][behavior["OriginRequestPolicyId"]["Ref"]]["Properties"][
            "OriginRequestPolicyConfig"]
        headers = set(forwarded["HeadersConfig"]["Headers"])
        assert {"CloudFront-Viewer-Address", "CloudFront-Viewer-Country", "Content-Type", "Origin"} <= headers
        assert "Host" not in headers  # API Gateway answers only to its own host name
        assert forwarded["CookiesConfig"]["CookieBehavior"] == "all"  # sessions reach the app, uncached


def test_every_cached_behaviour_keys_on_no_cookie_and_keeps_answers_only_as_long_as_they_say(dev):
    """No session can reach a cached answer, and an answer without Cache-Control is not kept (DefaultTTL 0)."""
    for name, resource in of_type(dev, "AWS::CloudFront::CachePolicy").items():
        config = resource["Properties"]["CachePolicyConfig"]
        assert (config["MinTTL"], config["DefaultTTL"]) == (0, 0), name
        assert config["MaxTTL"] >= 31536000, name  # a year, for the static files' own max-age
        key = config["ParametersInCacheKeyAndForwardedToOrigin"]
        assert key["CookiesConfig"] == {"CookieBehavior": "none"}, name
        assert key["EnableAcceptEncodingGzip"] and key["EnableAcceptEncodingBrotli"], name


@pytest.mark.parametrize("prefix", ["", "/" + CONFIG["api_gateway_stage"]])
def test_totals_sign_page_static_files_and_pages_are_cached_each_by_its_own_key(dev, prefix):
    config = distribution(dev)["Properties"]["DistributionConfig"]

    def key_of(path):
        behavior = behaviour_for(config, prefix + path, prefix)
        assert behavior["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"], path
        return policy(dev, behavior)["ParametersInCacheKeyAndForwardedToOrigin"]

    totals = key_of("/petitions/demo/totals")
    assert totals["QueryStringsConfig"] == {"QueryStringBehavior": "none"}  # ?x=random never reaches the API
    assert totals["HeadersConfig"] == {"HeaderBehavior": "none"}
    sign = key_of("/petitions/demo/sign")
    assert sign["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": ["CloudFront-Viewer-Country"]}
    assert sign["QueryStringsConfig"] == {"QueryStringBehavior": "all"}  # ?source=
    static = key_of("/static/countersign.js")
    assert static["QueryStringsConfig"] == {"QueryStringBehavior": "whitelist", "QueryStrings": ["v"]}
    for page in ("/", "/privacy", "/petitions/demo/dashboard", "/petitions/demo/thanks", "/petitions/demo"):
        assert key_of(page)["HeadersConfig"] == {"HeaderBehavior": "none"}, page


def test_every_app_route_meets_a_behaviour_that_allows_its_methods(dev):
    config = distribution(dev)["Properties"]["DistributionConfig"]
    for path, methods in app.routes.items():
        behavior = behaviour_for(config, example_path(path))
        assert set(methods) <= set(behavior["AllowedMethods"]), path


def test_hsts_is_set_once_for_deployed_stages_by_the_template(dev):
    assert dev["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"][
        "STRICT_TRANSPORT_SECURITY"] == "max-age=31536000"
    config = distribution(dev)["Properties"]["DistributionConfig"]
    behaviors = config["CacheBehaviors"] + [config["DefaultCacheBehavior"]]
    assert not any("ResponseHeadersPolicyId" in b for b in behaviors)  # CloudFront passes the app's header through


# ---- both stages lint clean after the transform; the deployer may create it all -------------

def test_the_expanded_templates_are_cfn_lint_clean(transformed):
    for stage, expanded in transformed.items():
        assert lint_errors(json.dumps(expanded)) == [], stage


CDN_UNUSED = {"cloudfront:CreateConnectionGroup", "cloudfront:GetConnectionGroup", "cloudfront:GetVpcOrigin",
              "cloudfront:UpdateDistributionWithStagingConfig",
              "cloudfront:CreateDistributionWithTags"}  # authorized as CreateDistribution and TagResource


def test_the_deployer_may_create_change_and_delete_the_distribution_and_its_policies():
    policy_document = filled_policy("deployer-policy.json")
    for kind in ("AWS::CloudFront::Distribution", "AWS::CloudFront::CachePolicy",
                 "AWS::CloudFront::OriginRequestPolicy"):
        for action in sorted(handler_permissions(kind) - CDN_UNUSED):
            resource = {"AWS::CloudFront::Distribution": "distribution/E2ABC",
                        "AWS::CloudFront::CachePolicy": "cache-policy/1a2b",
                        "AWS::CloudFront::OriginRequestPolicy": "origin-request-policy/1a2b"}[kind]
            arn = "*" if action.split(":")[1].startswith("Create") else f"arn:aws:cloudfront::123456789012:{resource}"
            assert allows(policy_document, action, arn), action


def test_the_deployer_may_change_only_http_apis_of_its_own_stacks():
    policy_document = filled_policy("deployer-policy.json")
    api = "arn:aws:apigateway:eu-west-2::/apis/a1b2c3/routes/r1"
    own = {"aws:ResourceTag/aws:cloudformation:stack-name": "countersign-dev"}
    assert allows(policy_document, "apigateway:POST", "arn:aws:apigateway:eu-west-2::/apis")
    assert allows(policy_document, "apigateway:PATCH", api, **own)
    assert not allows(policy_document, "apigateway:DELETE", api,
                      **{"aws:ResourceTag/aws:cloudformation:stack-name": "billing-prod"})
    assert not allows(policy_document, "apigateway:DELETE", api)
    assert allows(policy_document, "ssm:GetParameters",
                  "arn:aws:ssm:eu-west-2:123456789012:parameter/countersign/prod/origin-secret")


def test_the_signatures_table_can_be_pre_warmed_for_a_launch_by_parameter(dev):
    """DynamoDB warm throughput: an on-demand table that takes a known write rate at once (docs/scaling.md)."""
    assert dev["Parameters"]["SignaturesWarmWrites"]["Default"] == 0
    table = dev["Resources"]["SignaturesTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    warm = {"WriteUnitsPerSecond": {"Ref": "SignaturesWarmWrites"}}
    assert table["WarmThroughput"] == {"Fn::If": ["HasWarmWrites", warm, {"Ref": "AWS::NoValue"}]}


def test_with_the_cdn_on_an_http_api_signatures_go_straight_to_the_api_by_default(dev):
    assert dev["Parameters"]["SignPath"]["Default"] == "direct"
    assert dev["Conditions"]["SignDirect"] == {"Fn::And": [
        {"Condition": "UseCdn"}, {"Condition": "UseHttpApi"}, {"Fn::Equals": [{"Ref": "SignPath"}, "direct"]},
        {"Fn::Not": [{"Condition": "HasWebAcl"}]}]}  # a web ACL on the CDN must see signatures (test_deploy_waf.py)
    env = dev["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["SIGN_BASE_URL"] == {"Fn::If": [
        "SignDirect", {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}, ""]}
