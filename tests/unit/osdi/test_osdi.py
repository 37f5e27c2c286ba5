"""OSDI: the petition resource and the record-signature helper, onto the same intake (rules, dedupe, one write)."""
from __future__ import annotations

import json

import pytest

from chalicelib.aws import models
from tests.support.pages import set_totals

HAL = {"Content-Type": "application/hal+json"}


def person(**overrides) -> dict:
    body = {"person": {"given_name": "Amina", "family_name": "Yusuf",
                       "email_addresses": [{"address": "amina@example.org", "primary": True}],
                       "postal_addresses": [{"country": "GB", "postal_code": "SW1A 1AA"}]}}
    body["person"].update(overrides)
    return body


def test_the_petition_resource_has_the_total_and_hal_links(client, petition):
    set_totals({"GB": 8500, "FR": 120})
    response = client.get("/osdi/v1/petitions/demo")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/hal+json"
    body = json.loads(response.body)
    assert body["total_signatures"] == 8620 and body["title"] == "Protect people seeking asylum"
    assert body["identifiers"] == ["countersign:demo"]
    assert body["_links"]["self"]["href"].endswith("/osdi/v1/petitions/demo")
    assert body["_links"]["osdi:record_signature_helper"]["href"].endswith("/osdi/v1/petitions/demo/signatures")
    assert client.get("/osdi/v1/petitions/nope").status_code == 404


def test_the_helper_records_one_signature_and_a_repeat_changes_nothing(client, petition, aws_calls):
    client.get("/osdi/v1/petitions/demo")  # the petition's settings are read and cached, as on the sign path
    aws_calls.calls.clear()
    first = client.post("/osdi/v1/petitions/demo/signatures", headers=HAL, body=json.dumps(person()))
    assert first.status_code == 202 and json.loads(first.body)["status"] == "received"
    assert aws_calls.calls == ["PutItem"]  # the one conditional write of the sign path
    # The same person written differently is a duplicate: the same answer, no second signature.
    again = person(email_addresses=[{"address": "Amina@Example.org"}])
    assert client.post("/osdi/v1/petitions/demo/signatures", headers=HAL, body=json.dumps(again)).status_code == 202
    [stored] = list(models.Signature.scan())
    assert (stored.name, stored.email, stored.country, stored.postcode) == ("Amina Yusuf", "amina@example.org",
                                                                            "GB", "SW1A 1AA")
    assert stored.source == "osdi"


@pytest.mark.parametrize("overrides, field", [
    ({"email_addresses": [{"address": "not-an-address"}]}, "email"),
    ({"postal_addresses": [{"country": "Narnia"}]}, "country"),
    ({"given_name": "=cmd", "family_name": ""}, "name"),
    ({"given_name": "", "family_name": None}, "name"),
])
def test_the_helper_applies_the_same_rules_with_the_same_keys(client, petition, overrides, field):
    response = client.post("/osdi/v1/petitions/demo/signatures", headers={**HAL, "Accept-Language": "fr"},
                           body=json.dumps(person(**overrides)))
    assert response.status_code == 422 and field in json.loads(response.body)["errors"]
    assert response.headers["Content-Language"] == "fr"


@pytest.mark.parametrize("body, content_type, status", [
    ("[1]", "application/json", 400),
    ('{"person": "Amina"}', "application/json", 400),
    ("person=Amina", "application/x-www-form-urlencoded", 415),
    ("x" * 20_000, "application/json", 413),
])
def test_bad_helper_bodies_are_clear_4xx(client, petition, body, content_type, status):
    response = client.post("/osdi/v1/petitions/demo/signatures", headers={"Content-Type": content_type}, body=body)
    assert response.status_code == status and json.loads(response.body)["error"]


def test_the_helper_on_an_unknown_petition_is_404(client, petition):
    response = client.post("/osdi/v1/petitions/nope/signatures", headers=HAL, body=json.dumps(person()))
    assert response.status_code == 404


@pytest.mark.parametrize("overrides", [{"given_name": 7}, {"email_addresses": "amina@example.org"},
                                       {"email_addresses": [{"address": ["amina@example.org"]}]},
                                       {"postal_addresses": [{"country": 44}]}, {"postal_addresses": [None]}])
def test_a_field_of_the_wrong_type_is_refused_not_ignored(client, petition, overrides):
    response = client.post("/osdi/v1/petitions/demo/signatures", headers=HAL, body=json.dumps(person(**overrides)))
    assert response.status_code == 400 and "OSDI" in json.loads(response.body)["error"]
