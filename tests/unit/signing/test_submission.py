"""The submission rules as pure functions, without AWS."""
import json

import pytest

from chalicelib.petitions import sources
from chalicelib.signing import submission
from chalicelib.signing.submission import validate
from chalicelib.web.bodies import BodyError
from chalicelib.web.bodies import read as parse_body

GOOD = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "gb", "consent": True}


def errors_for(**changes):
    fields = {**GOOD, **changes}
    fields = {k: v for k, v in fields.items() if v is not ...}
    return validate(fields)[1]


def test_good_submission_is_normalised():
    sig, errors = validate({**GOOD, "postcode": "  sw1a   1aa ", "source": "email-nov_2026.a"})
    assert errors == {}
    assert sig.country == "GB" and sig.postcode == "SW1A 1AA" and sig.source == "email-nov_2026.a"
    assert sig.updates_opt_in is False


@pytest.mark.parametrize("name, field_error", [
    (..., "Enter your name."),
    ("   ", "Enter your name."),
    (42, "Enter your name."),
    ("x" * 256, "255 characters"),
    ("Ann\nSmith", "line breaks"),
    ("Ann\x00", "line breaks"),
    ("Visit http://spam.example", "link"),
    ("see www.spam.example", "link"),
    ("=HYPERLINK(\"x\")", "can't start with"),
    ("+44", "can't start with"),
    ("-Ann", "can't start with"),
    ("@ann", "can't start with"),
])
def test_bad_names(name, field_error):
    assert field_error in errors_for(name=name)["name"]


def test_name_is_trimmed_and_255_is_allowed():
    sig, errors = validate({**GOOD, "name": "  " + "é" * 255 + "  "})
    assert errors == {} and sig.name == "é" * 255


@pytest.mark.parametrize("email", [..., "", "not-an-email", "a@b", "ann@@example.org", "ann@exa mple.org", 7])
def test_bad_emails(email):
    assert "email" in errors_for(email=email)


@pytest.mark.parametrize("country", [..., "", "XX", "UK", "GBR", "g"])
def test_bad_countries(country):
    assert "country" in errors_for(country=country)


def test_postcode_limit_counts_normalised_text():
    assert "postcode" not in errors_for(postcode="AB1  2CD   EFG  HIJ")  # 15 once collapsed
    assert "postcode" in errors_for(postcode="A" * 17)


@pytest.mark.parametrize("consent, ok", [
    (True, True), ("true", True), ("on", True), ("1", True), ("yes", True), ("YES", True),
    (False, False), ("false", False), ("", False), (..., False), ("maybe", False), (1, False),
])
def test_consent_must_be_given(consent, ok):
    assert ("consent" not in errors_for(consent=consent)) is ok


@pytest.mark.parametrize("value, expected", [(True, True), ("on", True), (False, False), ("no", False), (..., False)])
def test_updates_opt_in(value, expected):
    fields = {k: v for k, v in {**GOOD, "updates_opt_in": value}.items() if v is not ...}
    assert validate(fields)[0].updates_opt_in is expected


def test_updates_opt_in_rejects_nonsense():
    assert "updates_opt_in" in errors_for(updates_opt_in="perhaps")


@pytest.mark.parametrize("source", [" ", "has space", "x" * 65, "<script>", 5, ["a"]])
def test_an_invalid_source_is_dropped_not_an_error(source):
    sig, errors = validate({**GOOD, "source": source})
    assert errors == {} and sig is not None and sig.source is None


def test_a_dropped_source_is_counted_without_its_value(caplog):
    caplog.set_level("INFO", logger="chalicelib")
    assert sources.source_code("x" * 65, "demo") is None
    assert sources.source_code("", "demo") is None and sources.source_code(None, "demo") is None
    assert sources.source_code("email-nov", "demo") == "email-nov"
    assert caplog.messages == ["source dropped petition=demo"]


def test_every_invalid_field_is_listed_at_once():
    _, errors = validate({})
    assert set(errors) == {"name", "email", "country", "consent"}
    assert all(message.endswith(".") for message in errors.values())


def test_honeypot():
    assert submission.honeypot_filled({"website": "http://spam"})
    assert not submission.honeypot_filled({"website": ""})
    assert not submission.honeypot_filled({})


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"])
def test_json_bodies(content_type):
    assert parse_body(json.dumps(GOOD).encode(), content_type)["name"] == "Amina Yusuf"


def test_form_bodies_with_charset():
    body = b"name=Jos%C3%A9+P%C3%A9rez&consent=on&website="
    fields = parse_body(body, "application/x-www-form-urlencoded; charset=UTF-8")
    assert fields == {"name": "José Pérez", "consent": "on", "website": ""}


@pytest.mark.parametrize("raw, content_type, status", [
    (b"{", "application/json", 400),
    (b"\xff\xfe", "application/json", 400),
    (b"name=%ff", "application/x-www-form-urlencoded", 400),
    (b"[1, 2]", "application/json", 400),
    (b"\"text\"", "application/json", 400),
    (b"", "application/json", 400),
    (b"x" * (16 * 1024 + 1), "application/json", 413),
    (b"<xml/>", "text/xml", 415),
    (b"name=a", None, 415),
    (b"[" * 100000, "application/json", 413),
])
def test_unreadable_bodies(raw, content_type, status):
    with pytest.raises(BodyError) as caught:
        parse_body(raw, content_type)
    assert caught.value.status == status


@pytest.mark.parametrize("body", [b'{"name": "Ann \\ud800"}', b'{"postcode": "\\udc00"}', b'{"x": ["\\ud800"]}'])
def test_lone_surrogates_are_a_400(body):
    with pytest.raises(BodyError) as caught:
        parse_body(body, "application/json")
    assert caught.value.status == 400


@pytest.mark.parametrize("postcode", ["=1+1", "+44", "-A", "@SUM"])
def test_postcode_cannot_be_a_spreadsheet_formula(postcode):
    assert "can't start with" in errors_for(postcode=postcode)["postcode"]


def test_deeply_nested_json_within_limit_is_a_400():
    with pytest.raises(BodyError) as caught:
        parse_body(b"[" * 16000, "application/json")
    assert caught.value.status == 400
