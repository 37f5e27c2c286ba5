"""Does Chalice's handler serve an API Gateway HTTP API (payload format 1.0, explicit routes)? Evidence.

Every route of the app gets the event an HTTP API sends with payload format
1.0, through ``app(event, context)``, the deployed entry point, against moto.

Where the events come from. No AWS account is reachable from these tests, so
the events are built, field for field, in the shape of a payload 1.0 event
captured from a deployed HTTP API with a named stage and an explicit route
(``POST /users/{userId}/inventories`` on stage ``v1``, published in a public
repository's test fixture) and AWS's documented example of the format
("Create AWS Lambda proxy integrations for HTTP APIs", payload format 1.0):

- ``resource`` and ``requestContext.resourcePath`` are the route's template
  (``/petitions/{petition_id}``), which is what Chalice looks routes up by,
  and ``requestContext.resourceId`` is ``"<METHOD> <template>"``;
- ``path`` and ``requestContext.path`` both carry a named stage
  (``/v1/users/1/inventories``); on the ``$default`` stage there is none;
- ``multiValueHeaders``, ``multiValueQueryStringParameters`` (null when
  empty), ``pathParameters`` and ``stageVariables`` (null) are present, as
  Chalice's Request needs; header names arrive as the client wrote them;
- bodies: API Gateway base64-encodes every body whose Content-Type is not
  text/*, application/json, application/javascript or application/xml,
  including application/x-www-form-urlencoded and a missing Content-Type
  (reported as verified against real AWS in ministackorg/ministack#766), so a
  form post arrives with ``isBase64Encoded: true``.

The response format of payload 1.0 is the REST proxy format (``statusCode``,
``headers``, ``multiValueHeaders``, ``body``, ``isBase64Encoded``), and an
HTTP API decodes ``isBase64Encoded`` bodies whatever their type (no binary
media types to configure).
"""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from app import app
from chalicelib.aws import models
from tests.support.http_api import PETITION, http_api_event, served


def header(reply: dict, name: str) -> str | None:
    merged = {**reply.get("headers", {}), **{k: ", ".join(v) for k, v in reply.get("multiValueHeaders", {}).items()}}
    return next((v for k, v in merged.items() if k.lower() == name.lower()), None)


def form_body(**fields) -> bytes:
    return urlencode(fields).encode()


SIGNER = {"name": "Zoë Ñúñez 中文", "email": "zoe@example.org", "country": "GB", "consent": "yes"}

FORM_POST = {"headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": form_body(csrf_token="x")}
JSON_POST = {"headers": {"Content-Type": "application/json"}, "body": b"{}"}

# (method, route, path, path parameters, extra: headers/query/body, expected status)
EVERY_ROUTE = [
    ("GET", "/", "/", None, {}, 200),
    ("GET", "/privacy", "/privacy", None, {}, 200),
    ("GET", "/static/{name}", "/static/countersign.js", {"name": "countersign.js"}, {}, 200),
    ("GET", "/petitions/{petition_id}", "/petitions/demo", PETITION, {}, 200),
    ("GET", "/petitions/{petition_id}/totals", "/petitions/demo/totals", PETITION, {}, 200),
    ("GET", "/petitions/{petition_id}/sign", "/petitions/demo/sign", PETITION,
     {"query": {"source": ["newsletter"]}, "headers": {"accept-language": "fr-FR"}}, 200),
    ("GET", "/petitions/{petition_id}/thanks", "/petitions/demo/thanks", PETITION, {}, 200),
    ("GET", "/petitions/{petition_id}/dashboard", "/petitions/demo/dashboard", PETITION, {}, 200),
    ("OPTIONS", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures", PETITION,
     {"headers": {"Origin": "https://campaign.example.org", "Access-Control-Request-Method": "POST"}}, 204),
    ("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures", PETITION,
     {"headers": {"Content-Type": "application/json"},
      "body": json.dumps({**SIGNER, "consent": True}).encode()}, 202),
    ("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures", PETITION,
     {"headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": form_body(**SIGNER)}, 303),
    # What travels: the live badge, the share card, the embeddable form, and the OSDI petition and its helper.
    ("GET", "/petitions/{petition_id}/badge.svg", "/petitions/demo/badge.svg", PETITION, {}, 200),
    ("GET", "/petitions/{petition_id}/card.png", "/petitions/demo/card.png", PETITION,
     {"headers": {"Accept": "image/png"}}, 200),
    ("GET", "/petitions/{petition_id}/embed", "/petitions/demo/embed", PETITION, {}, 200),
    ("GET", "/osdi/v1/petitions/{petition_id}", "/osdi/v1/petitions/demo", PETITION, {}, 200),
    ("POST", "/osdi/v1/petitions/{petition_id}/signatures", "/osdi/v1/petitions/demo/signatures", PETITION,
     {"headers": {"Content-Type": "application/json"},
      "body": json.dumps({"person": {"given_name": "Zoë", "family_name": "Ñúñez",
                                     "email_addresses": [{"address": "osdi@example.org"}],
                                     "postal_addresses": [{"country": "GB"}]}}).encode()}, 202),
    # Confirmation links, with a token that does not work.
    ("GET", "/petitions/{petition_id}/confirm", "/petitions/demo/confirm", PETITION,
     {"query": {"token": ["bogus"]}}, 400),
    ("POST", "/petitions/{petition_id}/confirm", "/petitions/demo/confirm", PETITION,
     {"headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": form_body(token="bogus")}, 400),
    ("POST", "/petitions/{petition_id}/confirm/resend", "/petitions/demo/confirm/resend", PETITION,
     {"headers": {"Content-Type": "application/json"}, "body": b'{"token": "bogus"}'}, 400),
    # The campaign-updates opt-in link, with a token that does not work.
    ("GET", "/petitions/{petition_id}/updates/confirm", "/petitions/demo/updates/confirm", PETITION,
     {"query": {"token": ["bogus"]}}, 400),
    ("POST", "/petitions/{petition_id}/updates/confirm", "/petitions/demo/updates/confirm", PETITION,
     {"headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": form_body(token="bogus")}, 400),
    # Removing a signature: the form, asking for a link, and a link that does not work.
    ("GET", "/petitions/{petition_id}/remove", "/petitions/demo/remove", PETITION, {}, 200),
    ("POST", "/petitions/{petition_id}/remove", "/petitions/demo/remove", PETITION,
     {"headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": form_body(email="a@example.org")},
     200),
    ("GET", "/petitions/{petition_id}/remove/confirm", "/petitions/demo/remove/confirm", PETITION,
     {"query": {"token": ["bogus"]}}, 400),
    ("POST", "/petitions/{petition_id}/remove/confirm", "/petitions/demo/remove/confirm", PETITION,
     {"headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": form_body(token="bogus")}, 400),
    # The admin area without a session: its sign-in pages, redirects to them, and the API's 401.
    ("GET", "/admin/sign-in", "/admin/sign-in", None, {}, 200),
    ("POST", "/admin/sign-in", "/admin/sign-in", None, FORM_POST, 403),
    ("GET", "/admin/sign-in/{token}", "/admin/sign-in/bogus", {"token": "bogus"}, {}, 400),
    ("POST", "/admin/sign-in/{token}", "/admin/sign-in/bogus", {"token": "bogus"}, FORM_POST, 403),
    ("POST", "/admin/sign-out", "/admin/sign-out", None, FORM_POST, 303),
    *[("GET", route, route.replace("{petition_id}", "demo"), PETITION if "{" in route else None, {}, 303)
      for route in ("/admin", "/admin/new", "/admin/audit", "/admin/petitions/{petition_id}",
                    "/admin/petitions/{petition_id}/edit")],
    *[("POST", route, route.replace("{petition_id}", "demo"), PETITION if "{" in route else None, FORM_POST, 303)
      for route in ("/admin/petitions", "/admin/petitions/{petition_id}", "/admin/petitions/{petition_id}/status",
                    "/admin/petitions/{petition_id}/erase", "/admin/petitions/{petition_id}/exports",
                    "/admin/preview",
                    "/admin/petitions/{petition_id}/invalidation/preview",
                    "/admin/petitions/{petition_id}/invalidation/apply")],
    ("GET", "/admin/petitions/{petition_id}/exports/{name}", "/admin/petitions/demo/exports/x.csv",
     {"petition_id": "demo", "name": "x.csv"}, {}, 303),
    *[("GET", route, route.replace("{petition_id}", "demo"), PETITION if "{" in route else None, {}, 401)
      for route in ("/admin/api/session", "/admin/api/audit", "/admin/api/petitions",
                    "/admin/api/petitions/{petition_id}")],
    *[("POST", route, route.replace("{petition_id}", "demo"), PETITION if "{" in route else None, JSON_POST, 401)
      for route in ("/admin/api/petitions", "/admin/api/petitions/{petition_id}",
                    "/admin/api/petitions/{petition_id}/status")],
]


def test_every_route_is_replayed_here():
    replayed = {(method, route) for method, route, *_ in EVERY_ROUTE}
    assert replayed == {(method, route) for route, methods in app.routes.items() for method in methods}


@pytest.mark.parametrize("stage", ["$default", "v1"])
@pytest.mark.parametrize("method, route, path, parameters, extra, status", EVERY_ROUTE)
def test_every_route_answers_an_http_api_event(petition, stage, method, route, path, parameters, extra, status):
    reply = served(http_api_event(method, route, path, stage=stage, path_parameters=parameters, **extra))
    assert reply["statusCode"] == status, reply["body"][:500]
    assert header(reply, "X-Content-Type-Options") == "nosniff"
    # Every answer of ours is text, sent as it is, except the share card's PNG (base64, which API Gateway decodes).
    assert bool(reply.get("isBase64Encoded")) == route.endswith(".png")


def test_a_form_post_arrives_base64_encoded_and_is_stored_exactly(petition):
    event = http_api_event("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures",
                           path_parameters=PETITION, body=form_body(**SIGNER),
                           headers={"content-type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert event["isBase64Encoded"] is True
    reply = served(event)
    assert reply["statusCode"] == 303
    assert header(reply, "Location") == "/petitions/demo/thanks?lang=en"  # $default: no stage in the path
    [stored] = list(models.Signature.scan())
    assert (stored.name, stored.country) == ("Zoë Ñúñez 中文", "GB")


def test_the_stage_of_a_named_http_api_stage_stays_in_redirects_and_links(petition):
    event = http_api_event("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures",
                           stage="v1", path_parameters=PETITION, body=form_body(**SIGNER),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert event["path"] == event["requestContext"]["path"] == "/v1/petitions/demo/signatures"
    assert header(served(event), "Location") == "/v1/petitions/demo/thanks?lang=en"
    page = served(http_api_event("GET", "/petitions/{petition_id}/sign", "/petitions/demo/sign", stage="v1",
                                 path_parameters=PETITION))["body"]
    assert 'action="/v1/petitions/demo/signatures?lang=en"' in page
    assert 'src="/v1/static/countersign.js?v=' in page
    assert 'href="/v1/privacy"' in page
    index = served(http_api_event("GET", "/", "/", stage="v1"))["body"]
    assert 'href="/v1/privacy"' in index
    admin = served(http_api_event("GET", "/admin", "/admin", stage="v1"))
    assert header(admin, "Location") == "/v1/admin/sign-in"
    sign_in = served(http_api_event("GET", "/admin/sign-in", "/admin/sign-in", stage="v1"))["body"]
    assert 'action="/v1/admin/sign-in"' in sign_in


def test_an_invalid_form_post_rerenders_with_the_input_kept_byte_for_byte(petition):
    reply = served(http_api_event("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures",
                                  path_parameters=PETITION, body=form_body(**{**SIGNER, "email": "not-an-email"}),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert reply["statusCode"] == 422
    assert header(reply, "Content-Type").startswith("text/html")
    assert 'value="Zoë Ñúñez 中文"' in reply["body"]
    assert list(models.Signature.scan()) == []


def test_a_body_that_is_not_utf8_is_a_400_not_a_crash(petition):
    reply = served(http_api_event("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures",
                                  path_parameters=PETITION, body=b"name=\xff\xfe&consent=yes",
                                  headers={"Content-Type": "application/x-www-form-urlencoded",
                                           "Accept": "application/json"}))
    assert reply["statusCode"] == 400


def test_a_post_without_content_type_arrives_base64_and_is_a_415(petition):
    event = http_api_event("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures",
                           path_parameters=PETITION, body=b'{"name": "x"}')
    assert event["isBase64Encoded"] is True
    assert served(event)["statusCode"] == 415


def test_non_ascii_answers_travel_as_utf8_text(petition):
    page = served(http_api_event("GET", "/petitions/{petition_id}/sign", "/petitions/demo/sign",
                                 path_parameters=PETITION))
    assert "Curaçao" in page["body"] and "Åland Islands" in page["body"]
    svg = served(http_api_event("GET", "/static/{name}", "/static/world.svg", path_parameters={"name": "world.svg"}))
    assert header(svg, "Content-Type").startswith("image/svg+xml")
    assert svg["body"].startswith("<svg")


def test_conditional_totals_and_query_strings_work_as_on_rest(petition):
    first = served(http_api_event("GET", "/petitions/{petition_id}/totals", "/petitions/demo/totals",
                                  path_parameters=PETITION))
    etag = header(first, "ETag")
    again = served(http_api_event("GET", "/petitions/{petition_id}/totals", "/petitions/demo/totals",
                                  path_parameters=PETITION, headers={"if-none-match": etag}))
    assert (again["statusCode"], again["body"]) == (304, "")
    page = served(http_api_event("GET", "/petitions/{petition_id}/sign", "/petitions/demo/sign",
                                 path_parameters=PETITION, query={"source": ["a", "spring-mailing"]}))["body"]
    assert 'name="source" value="spring-mailing"' in page  # the last of repeated parameters, as on REST
