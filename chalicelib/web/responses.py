"""Shaping HTTP responses: JSON bodies, errors, CORS, redirects."""
from __future__ import annotations

import json

from chalice import Response

from chalicelib.aws import config

JSON_HEADERS = {"Content-Type": "application/json"}
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def json_response(status: int, body, headers: dict | None = None) -> Response:
    return Response(body=json.dumps(body), status_code=status, headers={**JSON_HEADERS, **(headers or {})})


def error(status: int, message: str, headers: dict | None = None) -> Response:
    return json_response(status, {"error": message}, headers)


PUBLIC = {"Access-Control-Allow-Origin": "*"}  # aggregate figures: anyone may read them
TOTALS_CACHE = "public, max-age=5, stale-while-revalidate=30"

# What a browser or a CDN may keep of an HTML page; every page names one.
# A page the same for every visitor may be shared for a minute (the script
# refreshes its figures); the sign page also varies by the headers that choose
# its country (SIGN_PAGE_VARY). Anything answering one visitor (the thanks
# page, a form drawn again with what they typed, an error) is never stored.
NO_STORE = "no-store"
SHARED_PAGE_CACHE = "public, max-age=60"
DASHBOARD_CACHE = TOTALS_CACHE  # the dashboard is the totals, drawn
PRIVACY_CACHE = "public, max-age=3600"
SIGN_PAGE_VARY = "CloudFront-Viewer-Country, Accept-Language"


def html(status: int, page: str, *, cache: str, headers: dict | None = None) -> Response:
    return Response(body=page, status_code=status,
                    headers={**HTML_HEADERS, "Cache-Control": cache, **(headers or {})})



def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag in (tag.strip() for tag in if_none_match.split(","))


def cacheable_json(body: dict, etag: str, if_none_match: str | None) -> Response:
    """200 with the body, or 304 with none when the client already has this version."""
    headers: dict[str, str | list[str]] = {**PUBLIC, "ETag": etag, "Cache-Control": TOTALS_CACHE}
    if etag_matches(if_none_match, etag):
        return Response(body="", status_code=304, headers=headers)
    return json_response(200, body, headers)


def cacheable(body: str | bytes, content_type: str, etag: str, if_none_match: str | None) -> Response:
    """Another view of the totals (the badge, the share card): the totals' caching and validators."""
    headers: dict[str, str | list[str]] = {**PUBLIC, "ETag": etag, "Cache-Control": TOTALS_CACHE,
                                           "Content-Type": content_type}
    if etag_matches(if_none_match, etag):
        return Response(body=body[:0], status_code=304, headers=headers)  # empty, of the body's type
    return Response(body=body, status_code=200, headers=headers)


def wants_json(accept: str | None) -> bool:
    """A client that asks for JSON and not HTML (the sign page's script posting a form body across sites)."""
    accept = (accept or "").lower()
    return "application/json" in accept and "text/html" not in accept


def see_other(location: str, headers: dict | None = None) -> Response:
    return Response(body="", status_code=303, headers={"Location": location, **(headers or {})})


def cors_for_allowed(origin: str | None) -> dict:
    """CORS headers when the caller's origin is configured (ALLOWED_ORIGINS)."""
    headers = {"Vary": "Origin"}
    settings = config.settings()
    if origin and origin.rstrip("/") in settings.allowed_origins | {settings.public_origin}:
        headers["Access-Control-Allow-Origin"] = origin
    return headers


def preflight(origin: str | None, methods: str) -> Response:
    headers = cors_for_allowed(origin)
    if "Access-Control-Allow-Origin" in headers:
        headers.update({
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        })
    return Response(body="", status_code=204, headers=headers)


def stage_prefix(request) -> str:
    """The path API Gateway puts before the route (``/api``), or ''.

    A REST API's request context carries the stage in its path
    (``/api/petitions/x``), the event's own path does not. An HTTP API's
    payload 1.0 carries a named stage in both paths and, on its ``$default``
    stage, has none. Either way the prefix is what the context's path has
    before the route's own segments, as many as the route template has
    (tests/unit/web/test_http_api_events.py replays both kinds of event).
    """
    context = request.context or {}
    full = [part for part in (context.get("path") or "").split("/") if part]
    route = [part for part in (context.get("resourcePath") or "").split("/") if part]
    if len(full) < len(route):
        return ""
    tail = full[len(full) - len(route):]
    if any(r != f and not r.startswith("{") for r, f in zip(route, tail, strict=True)):
        return ""  # the path does not end in the route's segments: no prefix we can trust
    return "".join("/" + part for part in full[:len(full) - len(route)])
