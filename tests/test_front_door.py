"""Behind the CloudFront distribution: requests that bypass it are refused; the signer's address is the viewer's."""
from __future__ import annotations

import json

import pytest
from chalice.app import Request

from chalicelib import config, front_door
from tests.test_http_api_events import PETITION, http_api_event, served

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
    assert front_door.client_address(request) == address


def test_directly_the_signer_is_api_gateways_source_and_nothing_the_client_wrote():
    request = request_with({"CloudFront-Viewer-Address": "192.0.2.77:1234", "X-Forwarded-For": "192.0.2.66",
                            "X-Origin-Verify": "guess"})
    assert front_door.client_address(request) == "203.0.113.9"  # requestContext.identity.sourceIp


def test_a_forged_viewer_address_without_the_secret_is_not_believed(behind_cdn):
    request = request_with({"CloudFront-Viewer-Address": "192.0.2.77:1234", "X-Origin-Verify": "guess"})
    assert front_door.refused(request)
    assert front_door.client_address(request) == "203.0.113.9"
