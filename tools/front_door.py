"""The front door of a packaged stage, made from the app's own route table.

infra/resources.json holds what is fixed: the HTTP API with its integration
and ``$default`` stage, the CloudFront distribution with its origin and
policies, and the parameters that choose (``FrontDoor``: http or rest;
``Cdn``: on or off). What follows the routes is made here, from the paths
Chalice wrote into the REST API's definition, so a route added to app.py is
served by the HTTP API and gets the right cache behaviour without anyone
editing the template:

- one HTTP API route per app route and method. Explicit routes matter:
  Chalice finds the view by ``requestContext.resourcePath``, which an HTTP
  API sets to the matched route's template (a catch-all ``$default`` route
  would give it nothing Chalice knows);
- a never-cached CloudFront behaviour (every method, the viewer's address,
  country and cookies forwarded) for each path that takes anything but GET,
  HEAD or OPTIONS (the posts), and for the admin area;
- cached behaviours for the totals, the sign page and the static files, each
  with its own cache key; everything else (pages, and whatever GET route comes
  next, the badge say) is cached exactly as long as its own Cache-Control
  says, by the default behaviour.
"""
from __future__ import annotations

import re

# AWS managed policy "Managed-CachingDisabled".
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
ADMIN = re.compile(r"^/admin(?:/|$)")
# Cached behaviours with a cache key of their own (the rest use the default's).
CACHED = {
    "/petitions/{petition_id}/totals": "CdnTotalsCachePolicy",
    "/petitions/{petition_id}/sign": "CdnSignPageCachePolicy",
    "/static/{name}": "CdnStaticCachePolicy",
}
# A REST API's paths carry its stage, and the app's links keep it, so the distribution's do too.
PREFIX = {"Fn::If": ["UseHttpApi", "", "/api"]}


def app_routes(template: dict) -> dict[str, set[str]]:
    """Path -> HTTP methods, as Chalice wrote them into the REST API's definition."""
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return {path: {method.upper() for method in methods if not method.startswith("x-")}
            for path, methods in paths.items()}


def logical_id(method: str, path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path) or ["Root"]
    return "HttpApiRoute" + method.capitalize() + "".join(w[:1].upper() + w[1:] for w in words)


def http_api_routes(routes: dict[str, set[str]]) -> dict[str, dict]:
    resources = {}
    for path, methods in sorted(routes.items()):
        for method in sorted(methods):
            resources[logical_id(method, path)] = {
                "Type": "AWS::ApiGatewayV2::Route",
                "Condition": "UseHttpApi",
                "Properties": {
                    "ApiId": {"Ref": "HttpApi"},
                    "RouteKey": f"{method} {path}",
                    "Target": {"Fn::Sub": "integrations/${HttpApiIntegration}"},
                },
            }
    return resources


def path_pattern(path: str) -> str:
    """``/petitions/{petition_id}/totals`` -> ``/petitions/*/totals``."""
    return re.sub(r"\{[^}]+\}", "*", path)


def _pattern(path: str) -> dict:
    return {"Fn::Sub": ["${Prefix}" + path_pattern(path), {"Prefix": PREFIX}]}


def uncached(routes: dict[str, set[str]]) -> list[str]:
    """The paths that must never be served from a cache: posts (and other writes), and the admin area."""
    return sorted(path for path, methods in routes.items() if methods - READ_METHODS or ADMIN.match(path))


def cache_behaviors(routes: dict[str, set[str]]) -> list[dict]:
    behaviors = []
    # The admin area is never cached, whether or not it exists yet.
    never = sorted(set(uncached(routes)) | {"/admin", "/admin/{rest}"})
    for path in never:
        behaviors.append({
            "PathPattern": _pattern(path), "TargetOriginId": "api", "ViewerProtocolPolicy": "https-only",
            "AllowedMethods": ALL_METHODS, "CachedMethods": ["GET", "HEAD"], "Compress": True,
            "CachePolicyId": CACHING_DISABLED, "OriginRequestPolicyId": {"Ref": "CdnUncachedOriginRequestPolicy"},
        })
    for path, policy in CACHED.items():
        if path in routes and path not in never:
            behaviors.append({
                "PathPattern": _pattern(path), "TargetOriginId": "api", "ViewerProtocolPolicy": "redirect-to-https",
                "AllowedMethods": ["GET", "HEAD", "OPTIONS"], "CachedMethods": ["GET", "HEAD"], "Compress": True,
                "CachePolicyId": {"Ref": policy},
            })
    return behaviors


def add(template: dict) -> dict:
    """Add the HTTP API's routes and the distribution's behaviours; point EndpointURL at the chosen API."""
    routes = app_routes(template)
    resources = template["Resources"]
    resources.update(http_api_routes(routes))
    stage = resources["HttpApiStage"]
    stage["DependsOn"] = sorted(name for name in resources if name.startswith("HttpApiRoute"))
    config = resources["CdnDistribution"]["Properties"]["DistributionConfig"]
    config["CacheBehaviors"] = cache_behaviors(routes)
    template["Outputs"]["EndpointURL"] = {
        "Description": "The API's own address (with the CDN on, it refuses requests that bypass the distribution)",
        "Value": {"Fn::If": ["UseHttpApi",
                             {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"},
                             {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/"}]},
    }
    return template
