"""POST /petitions/{id}/signatures through Chalice's test client, against moto."""
import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.aws import models
from chalicelib.petitions import catalog
from tests.support.signing import FORM, GOOD, GOOD_FORM, post_form, post_json, stored
from tools import petition_admin


def test_json_signature_is_accepted_and_stored(client, petition):
    response = post_json(client, GOOD)
    assert response.status_code == 202
    assert response.json_body == {"status": "received", "petition_id": "demo", "confirmation_required": False}
    [sig] = stored()
    assert (sig.petition_id, sig.name, sig.email, sig.country, sig.postcode, sig.source, sig.status) == (
        "demo", "Amina Yusuf", "amina@example.org", "GB", "SW1A 1AA", "newsletter", "confirmed")
    assert "amina" not in sig.signature_key
    datetime.fromisoformat(sig.created_at.replace("Z", "+00:00"))


def test_form_signature_redirects_to_thanks(client, petition):
    response = post_form(client, GOOD_FORM,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/petitions/demo/thanks?lang=en"
    assert len(stored()) == 1
    assert client.get("/petitions/demo/thanks").status_code == 200


def test_form_redirect_goes_to_the_petitions_thanks_url(client, petition):
    petition_admin.update("demo", thanks_url="https://campaign.example.org/thank-you")
    catalog.reset()
    assert post_form(client, GOOD_FORM).headers["Location"] == "https://campaign.example.org/thank-you"


def test_redirect_keeps_the_api_gateway_stage(petition):
    from app import app

    event = {
        "resource": "/petitions/{petition_id}/signatures", "path": "/petitions/demo/signatures",
        "httpMethod": "POST", "headers": FORM, "multiValueQueryStringParameters": None,
        "pathParameters": {"petition_id": "demo"}, "stageVariables": None, "isBase64Encoded": False,
        "body": urlencode(GOOD_FORM),
        "requestContext": {"httpMethod": "POST", "resourcePath": "/petitions/{petition_id}/signatures",
                           "path": "/api/petitions/demo/signatures", "stage": "api"},
    }
    response = app(event, None)
    assert response["statusCode"] == 303
    assert response["headers"]["Location"] == "/api/petitions/demo/thanks?lang=en"


@pytest.mark.parametrize("post", [post_json, post_form])
def test_second_signature_by_same_person_answers_the_same_and_changes_nothing(client, petition, post):
    first = post(client, GOOD if post is post_json else GOOD_FORM)
    before = stored()[0].attribute_values
    again = {**(GOOD if post is post_json else GOOD_FORM), "email": "Amina+again@EXAMPLE.org", "name": "Someone Else"}
    second = post(client, again)
    assert (second.status_code, second.body, second.headers.get("Location")) == (
        first.status_code, first.body, first.headers.get("Location"))
    [after] = stored()
    assert after.attribute_values == before


def test_gmail_variants_are_one_signer(client, petition):
    for address in ["jo.bloggs@gmail.com", "JoBloggs+x@googlemail.com", "j.o.b.l.o.g.g.s@Gmail.com"]:
        assert post_json(client, {**GOOD, "email": address}).status_code == 202
    assert len(stored()) == 1


@pytest.mark.parametrize("post", [post_json, post_form])
def test_filled_honeypot_succeeds_and_stores_nothing(client, petition, post):
    body = {**(GOOD if post is post_json else GOOD_FORM), "website": "http://spam.example"}
    assert post(client, body).status_code == (202 if post is post_json else 303)
    assert stored() == []


def test_invalid_json_fields_get_422_listing_every_field(client, petition):
    response = post_json(client, {"name": "=cmd", "email": "nope", "country": "ZZ", "consent": False})
    assert response.status_code == 422
    assert set(response.json_body["errors"]) == {"name", "email", "country", "consent"}
    assert stored() == []


def test_invalid_form_gets_html_page_with_input_kept_and_messages(client, petition):
    response = post_form(client, {**GOOD_FORM, "email": "not-an-email", "consent": ""})
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert 'value="Amina Yusuf"' in page and 'value="not-an-email"' in page
    assert "Enter a valid email address" in page and "privacy notice" in page
    assert '<option value="GB" selected>' in page
    assert stored() == []


@pytest.mark.parametrize("post", [post_json, post_form])
def test_an_invalid_source_is_ignored_and_the_signature_taken(client, petition, post, caplog):
    caplog.set_level(logging.INFO, logger="chalicelib")
    body = {**(GOOD if post is post_json else GOOD_FORM), "source": " "}
    assert post(client, body).status_code == (202 if post is post_json else 303)
    [sig] = stored()
    assert sig.source is None
    assert "source dropped petition=demo" in caplog.messages


def test_a_form_redrawn_with_errors_drops_an_invalid_source(client, petition):
    response = post_form(client, {**GOOD_FORM, "email": "nope", "source": "not a code"})
    page = response.body.decode()
    assert response.status_code == 422
    assert 'name="source"' not in page and "campaign code" not in page.lower()
    assert "Enter a valid email address" in page


def test_form_answers_in_html_are_never_stored(client, petition):
    redrawn = post_form(client, {**GOOD_FORM, "email": "not-an-email"})
    assert redrawn.status_code == 422 and redrawn.headers["Cache-Control"] == "no-store"
    petition_admin.update("demo", status=models.PetitionStatus.CLOSED)
    catalog.reset()
    closed = post_form(client, GOOD_FORM, headers={"Accept": "text/html"})
    assert closed.status_code == 409 and closed.headers["Content-Type"].startswith("text/html")
    assert closed.headers["Cache-Control"] == "no-store"


def test_form_page_escapes_what_was_sent(client, petition):
    response = post_form(client, {**GOOD_FORM, "name": '"><script>alert(1)</script>', "email": "x"})
    assert response.status_code == 422
    assert b"<script>alert(1)" not in response.body
    assert b"&lt;script&gt;" in response.body


@pytest.mark.parametrize("post", [post_json, post_form])
def test_unknown_petition_is_404(client, tables, post):
    response = post(client, GOOD, petition_id="no-such-petition")
    assert response.status_code == 404
    assert "error" in json.loads(response.body)


def test_malformed_petition_id_is_404_without_a_read(client, tables, aws_calls):
    assert post_json(client, GOOD, petition_id="Not..Valid").status_code == 404
    assert aws_calls.reads() == []


@pytest.mark.parametrize("post", [post_json, post_form])
def test_closed_petition_is_409(client, petition, post):
    petition_admin.update("demo", status=models.PetitionStatus.CLOSED)
    catalog.reset()
    response = post(client, GOOD if post is post_json else GOOD_FORM)
    assert response.status_code == 409
    assert "closed" in json.loads(response.body)["error"]
    assert stored() == []


def test_petition_past_its_closing_time_is_closed(client, petition):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    petition_admin.update("demo", closes_at=past)
    catalog.reset()
    assert post_json(client, GOOD).status_code == 409
    assert client.get("/petitions/demo").json_body["status"] == "closed"


def test_closed_petition_form_post_from_a_browser_gets_a_page(client, petition):
    petition_admin.update("demo", status=models.PetitionStatus.CLOSED)
    catalog.reset()
    response = post_form(client, GOOD_FORM, headers={"Accept": "text/html,*/*"})
    assert response.status_code == 409 and b"closed" in response.body
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("body, content_type, status", [
    (b"{not json", "application/json", 400),
    (b"\xff\xfe\xfd", "application/json", 400),
    (b"[1]", "application/json", 400),
    (b'{"name": "Ann \\ud800", "email": "a@example.org", "country": "gb", "consent": true}', "application/json", 400),
    (b"name=%ff%fe", "application/x-www-form-urlencoded", 400),
    (b"x" * (16 * 1024 + 1), "application/json", 413),
    (b"x" * (16 * 1024 + 1), "application/x-www-form-urlencoded", 413),
    (b"<a/>", "text/xml", 415),
    (b"--x", "multipart/form-data; boundary=x", 415),
])
def test_unreadable_requests(client, petition, body, content_type, status):
    response = client.post("/petitions/demo/signatures", headers={"Content-Type": content_type}, body=body)
    assert response.status_code == status
    assert json.loads(response.body)["error"]


def test_missing_content_type_is_415(client, petition):
    response = client.post("/petitions/demo/signatures", headers={}, body=b"{}")
    assert response.status_code == 415


def test_accept_path_makes_exactly_one_dynamodb_request(client, petition, aws_calls):
    post_json(client, {**GOOD, "email": "warm@example.org"})  # warms the petition cache
    aws_calls.calls.clear()
    assert post_json(client, GOOD).status_code == 202
    assert aws_calls.calls == ["PutItem"]
    aws_calls.calls.clear()
    assert post_json(client, GOOD).status_code == 202  # duplicate: still one request
    assert aws_calls.calls == ["PutItem"]


def test_no_personal_data_in_logs(client, petition, caplog):
    caplog.set_level(logging.INFO)  # Lambda's level; botocore's DEBUG dumps bodies by design
    caplog.set_level(logging.DEBUG, logger="chalicelib")
    caplog.set_level(logging.DEBUG, logger="countersign")
    post_json(client, GOOD)
    post_json(client, GOOD)
    post_form(client, {**GOOD_FORM, "email": "bad"})
    text = caplog.text.lower()
    for secret in ("amina", "yusuf", "example.org", "sw1a"):
        assert secret not in text


def test_storage_failure_is_503_not_500(client, petition, monkeypatch):
    from pynamodb.exceptions import PutError

    from chalicelib.signing import signature_store as signing

    def broken(signature):
        raise PutError("throttled")

    monkeypatch.setattr(signing, "store", broken)
    response = post_json(client, GOOD)
    assert response.status_code == 503 and "try again" in response.json_body["error"]


def test_cors_only_for_configured_origins(client, petition):
    allowed = "https://campaign.example.org"
    ok = post_json(client, GOOD, headers={"Origin": allowed})
    assert ok.headers["Access-Control-Allow-Origin"] == allowed
    other = post_json(client, GOOD, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    pre = client.options("/petitions/demo/signatures", headers={"Origin": allowed})
    assert pre.headers["Access-Control-Allow-Origin"] == allowed
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in client.options(
        "/petitions/demo/signatures", headers={"Origin": "https://evil.example"}).headers


def test_item_stays_within_one_write_unit(client, petition):
    longest = {**GOOD, "name": "N" * 255, "email": ("e" * 64) + "@" + ("d" * 60 + ".") * 3 + "org",
               "postcode": "P" * 16, "source": "s" * 64, "updates_opt_in": True}
    assert post_json(client, longest).status_code == 202
    from chalicelib.signing.signature_store import item_bytes
    [sig] = stored()
    assert item_bytes(sig) <= 1024


def test_a_name_too_big_for_one_write_unit_is_refused_kindly(client, petition):
    response = post_json(client, {**GOOD, "name": "😀" * 255, "email": ("e" * 64) + "@" + ("d" * 60 + ".") * 3 + "org"})
    assert response.status_code == 422 and "too long" in response.json_body["errors"]["name"]


def test_public_petition_info(client, petition):
    response = client.get("/petitions/demo")
    assert response.status_code == 200
    assert response.json_body == {"petition_id": "demo", "title": "Protect people seeking asylum",
                                  "summary": "Five asks to world leaders.", "goal": 1500000,
                                  "status": "open", "closes_at": None, "require_verification": False,
                                  "challenge": False,  # no CAPTCHA (chalicelib/fraud/challenge.py)
                                  # the campaign page's fields, empty for this petition
                                  "asks": [], "body": "", "body_html": "", "image": None, "organiser": None,
                                  "featured_country": None, "country_targets": {},
                                  # its language and translations (none), and who may frame its form (nobody named)
                                  "language": "en", "own_language": "en", "languages": ["en"],
                                  "partly_translated": False, "untranslated": [], "embed_origins": []}
    post_json(client, GOOD)
    assert "amina" not in client.get("/petitions/demo").body.decode().lower()
    assert client.get("/petitions/nope").status_code == 404


def test_petition_cache_is_bounded(client, petition, monkeypatch):
    monkeypatch.setattr(catalog, "CACHE_ENTRIES", 5)
    for i in range(20):
        assert client.get(f"/petitions/probe-{i}").status_code == 404
    assert len(catalog._cache) == 5
    assert client.get("/petitions/demo").status_code == 200


def test_preflight_for_an_id_that_cannot_be_a_petition_is_404_without_a_read(client, tables, aws_calls):
    response = client.request("OPTIONS", "/petitions/Not_An_Id/signatures",
                              headers={"Origin": "https://campaign.example.org"})
    assert response.status_code == 404
    assert "Access-Control-Allow-Origin" not in response.headers
    assert aws_calls.calls == []
