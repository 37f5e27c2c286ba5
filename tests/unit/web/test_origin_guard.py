"""Behind the CloudFront distribution: requests that bypass it are refused; the signer's address is the viewer's."""
from __future__ import annotations

import json

import pytest
from chalice.app import Request

from chalicelib.aws import config
from chalicelib.web import origin_guard
from tests.support.http_api import PETITION, http_api_event, served

SECRET = "s3cr3t-from-ssm-0123456789abcdef"
THROUGH_CDN = {"X-Origin-Verify": SECRET}


@pytest.fixture
def behind_cdn(monkeypatch):
    monkeypatch.setenv("ORIGIN_SECRET", SECRET)
    config.reset()
    yield
    monkeypatch.delenv("ORIGIN_SECRET")
    config.reset()


REQUESTS = [
    ("GET", "/", "/", None, None),
    ("GET", "/petitions/{petition_id}/sign", "/petitions/demo/sign", PETITION, None),
    ("GET", "/petitions/{petition_id}/totals", "/petitions/demo/totals", PETITION, None),
    ("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures", PETITION,
     json.dumps({"name": "A", "email": "a@example.org", "country": "GB", "consent": True}).encode()),
]


@pytest.mark.parametrize("method, route, path, parameters, body", REQUESTS)
def test_without_a_distribution_every_request_is_served(petition, method, route, path, parameters, body):
    reply = served(http_api_event(method, route, path, path_parameters=parameters, body=body,
                                  headers={"Content-Type": "application/json"}))
    assert reply["statusCode"] < 400


@pytest.mark.parametrize("sent", [None, "", "wrong", SECRET[:-1], SECRET + "x"])
@pytest.mark.parametrize("method, route, path, parameters, body", REQUESTS)
def test_behind_a_distribution_a_request_without_its_secret_is_refused_before_anything_runs(
        petition, behind_cdn, aws_calls, method, route, path, parameters, body, sent):
    headers = {"Content-Type": "application/json"}
    if sent is not None:
        headers["X-Origin-Verify"] = sent
    reply = served(http_api_event(method, route, path, path_parameters=parameters, body=body, headers=headers))
    assert reply["statusCode"] == 403
    assert json.loads(reply["body"])["error"] == "This address serves only the site's CDN; use the site's own address."
    assert reply["headers"]["X-Content-Type-Options"] == "nosniff"
    assert aws_calls.calls == []  # no petition read, no signature written


@pytest.mark.parametrize("method, route, path, parameters, body", REQUESTS)
def test_behind_a_distribution_its_own_requests_are_served(petition, behind_cdn, method, route, path, parameters,
                                                           body):
    reply = served(http_api_event(method, route, path, path_parameters=parameters, body=body,
                                  headers={"Content-Type": "application/json", "x-origin-verify": SECRET}))
    assert reply["statusCode"] < 400


def request_with(headers: dict) -> Request:
    return Request(http_api_event("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures",
                                  path_parameters=PETITION, headers=headers))


@pytest.mark.parametrize("viewer, address", [
    ("198.51.100.10:46532", "198.51.100.10"),
    ("2001:db8::8a2e:370:7334:46532", "2001:db8::8a2e:370:7334"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("not an address", None),
])
def test_through_the_distribution_the_signer_is_the_viewer(behind_cdn, viewer, address):
    request = request_with({**THROUGH_CDN, "CloudFront-Viewer-Address": viewer, "X-Forwarded-For": "192.0.2.66"})
    assert origin_guard.client_address(request) == address


def test_directly_the_signer_is_api_gateways_source_and_nothing_the_client_wrote():
    request = request_with({"CloudFront-Viewer-Address": "192.0.2.77:1234", "X-Forwarded-For": "192.0.2.66",
                            "X-Origin-Verify": "guess"})
    assert origin_guard.client_address(request) == "203.0.113.9"  # requestContext.identity.sourceIp


def test_a_forged_viewer_address_without_the_secret_is_not_believed(behind_cdn):
    request = request_with({"CloudFront-Viewer-Address": "192.0.2.77:1234", "X-Origin-Verify": "guess"})
    assert origin_guard.refused(request)
    assert origin_guard.client_address(request) == "203.0.113.9"


# ---- direct signing: the sign page's script posts to the API's own address -------------------

SITE = "https://petitions.example.org"
API = "https://a1b2c3.execute-api.eu-west-2.amazonaws.com"


@pytest.fixture
def direct_signing(monkeypatch):
    monkeypatch.setenv("ORIGIN_SECRET", SECRET)
    monkeypatch.setenv("SIGN_BASE_URL", API)
    monkeypatch.setenv("PUBLIC_BASE_URL", SITE)
    config.reset()
    yield
    for name in ("ORIGIN_SECRET", "SIGN_BASE_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name)
    config.reset()


def form_post(headers: dict, body: bytes) -> dict:
    return http_api_event("POST", "/petitions/{petition_id}/signatures", "/petitions/demo/signatures",
                          path_parameters=PETITION, body=body,
                          headers={"Content-Type": "application/x-www-form-urlencoded", **headers})


FORM_SIGNER = b"name=Amina+Yusuf&email=amina%40example.org&country=GB&consent=yes&updates_opt_in=no&website="


def test_the_sign_page_names_the_apis_own_address_for_its_script(petition, direct_signing):
    reply = served(http_api_event("GET", "/petitions/{petition_id}/sign", "/petitions/demo/sign",
                                  path_parameters=PETITION, headers=THROUGH_CDN))
    assert f'data-direct="{API}/petitions/demo/signatures?lang=en"' in reply["body"]
    assert 'action="/petitions/demo/signatures?lang=en"' in reply["body"]  # without the script: via the CDN
    policy = reply["headers"]["Content-Security-Policy"]
    assert f"connect-src 'self' {API};" in policy


def test_a_signature_posted_straight_to_the_api_is_served_and_answered_in_json_for_the_site(
        petition, direct_signing, aws_calls):
    reply = served(form_post({"Origin": SITE, "Accept": "application/json"}, FORM_SIGNER))
    assert reply["statusCode"] == 202
    assert json.loads(reply["body"]) == {"status": "received", "petition_id": "demo",
                                         "confirmation_required": False}
    assert reply["headers"]["Access-Control-Allow-Origin"] == SITE
    assert [call for call in aws_calls.calls if call == "PutItem"] == ["PutItem"]


def test_straight_to_the_api_invalid_fields_come_back_as_json(petition, direct_signing):
    reply = served(form_post({"Origin": SITE, "Accept": "application/json"}, b"name=A&email=nope&country=GB"))
    assert reply["statusCode"] == 422
    assert set(json.loads(reply["body"])["errors"]) == {"email", "consent"}
    assert reply["headers"]["Access-Control-Allow-Origin"] == SITE


def test_with_direct_signing_everything_else_still_needs_the_distribution(petition, direct_signing):
    page = served(http_api_event("GET", "/petitions/{petition_id}/sign", "/petitions/demo/sign",
                                 path_parameters=PETITION))
    assert page["statusCode"] == 403
    totals = served(http_api_event("GET", "/petitions/{petition_id}/totals", "/petitions/demo/totals",
                                   path_parameters=PETITION))
    assert totals["statusCode"] == 403


def test_a_browser_form_post_still_gets_the_redirect(petition, direct_signing):
    reply = served(form_post({**THROUGH_CDN, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, FORM_SIGNER))
    assert reply["statusCode"] == 303


def test_without_the_sites_address_the_page_keeps_posting_to_itself(petition, direct_signing, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL")
    config.reset()
    monkeypatch.setenv("PUBLIC_BASE_URL", "")  # the fixture's teardown deletes it
    reply = served(http_api_event("GET", "/petitions/{petition_id}/sign", "/petitions/demo/sign",
                                  path_parameters=PETITION, headers=THROUGH_CDN))
    assert "data-direct" not in reply["body"]
