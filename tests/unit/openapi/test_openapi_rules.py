"""docs/openapi.yaml states the submission rules exactly: each pattern accepts what its validator accepts.

The fuzzer (tests/integration/test_contract_fuzzing.py) samples the whole
API; these compare each field's pattern with its validator directly, on many
more values, in a second.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.petitions import sources
from chalicelib.signing import submission
from tools import contract_patterns

SPEC = yaml.safe_load((Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml").read_text())
SCHEMAS = SPEC["components"]["schemas"]

# Characters where the rules have edges: every kind of whitespace, controls, formula
# starts, link makers, letters whose case mapping is unusual, and plain text.
EDGES = ("\t\n\x0b\x0c\r\x1c\x1f \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
         "\x00\x07\x7f\x9f\u200b=+-@:/.wW" + "\u00df\u0130\u0131\u017f\u212a\ufb01" + "aAbBgGzZ019_-.é中")
VALUES = st.one_of(
    st.text(alphabet=st.sampled_from(EDGES), max_size=20),
    st.text(max_size=20),
    st.builds(lambda a, b, c: a + b + c, st.text(st.sampled_from(" \t\u3000"), max_size=2),
              st.sampled_from(["http://x", "www.x", "WwW.", "a+b.c-d://", "gb", "Gb", "yes", " On", "NO", "off",
                               "fAlSe", "1", "0", "=1", "-x", "@a", "SW1A 1AA", "AB\t\t12", "\u00df" * 9]),
              st.text(st.sampled_from(" \t\u3000x"), max_size=2)),
    st.text(alphabet=st.sampled_from("aB c"), min_size=250, max_size=260),
)


def matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def field_accepted(field: str, value) -> bool:
    return field not in submission.validate({field: value})[1]


def test_the_document_carries_the_patterns_built_from_the_rules():
    built = contract_patterns.all_patterns()
    request = SCHEMAS["Signature"]["properties"]
    form = SCHEMAS["SignatureForm"]["anyOf"][0]["properties"]
    assert SCHEMAS["Name"]["pattern"] == built["name"]
    assert SCHEMAS["Email"]["pattern"] == built["email"]
    assert SCHEMAS["CountryCode"]["pattern"] == built["country"]
    assert SCHEMAS["Postcode"]["pattern"] == built["postcode"]
    assert SCHEMAS["ConsentWord"]["pattern"] == built["consent"]
    assert SCHEMAS["FlagWord"]["pattern"] == built["flag"]
    assert "pattern" not in SCHEMAS["Source"]  # any value is taken; only a valid code is kept
    for properties in (request, form):
        assert properties["name"] == {"$ref": "#/components/schemas/Name"}
        assert properties["country"] == {"$ref": "#/components/schemas/CountryCode"}


@settings(max_examples=1500)
@given(VALUES)
@example("x" * 255)
@example(" " + "x" * 255 + "\t")
@example("x" * 256)
@example("Amina www.example.org")
@example("\u017f://x")
def test_name_pattern_is_the_name_rule(value):
    assert matches(contract_patterns.name(), value) == field_accepted("name", value)


@settings(max_examples=800)
@given(VALUES)
@example("gb")
@example(" gB\u3000")
@example("\ufb01")
@example("\u0131t")
@example("XX")
def test_country_pattern_is_the_country_rule(value):
    assert matches(contract_patterns.country(), value) == field_accepted("country", value)


@settings(max_examples=1500)
@given(VALUES)
@example("\u00df" * 16)
@example("A" * 16)
@example("A" * 17)
@example("AB \t\u3000 CD")
@example("   ")
@example("SW1A\x001AA")
def test_postcode_pattern_is_the_postcode_rule(value):
    assert matches(contract_patterns.postcode(), value) == field_accepted("postcode", value)


@settings(max_examples=800)
@given(VALUES)
@example(" YeS\t")
@example("\u212a")
def test_consent_and_flag_patterns_are_the_flag_rules(value):
    assert matches(contract_patterns.consent_word(), value) == field_accepted("consent", value)
    assert matches(contract_patterns.flag_word(), value) == field_accepted("updates_opt_in", value)


@settings(max_examples=300)
@given(st.one_of(VALUES, st.text(st.sampled_from("aZ09_.-"), max_size=70)))
@example("a" * 65)
@example("abc\n")
def test_any_source_is_taken_and_only_a_well_formed_one_is_kept(value):
    """The document puts no pattern on Source: a mangled link must never stop anyone signing."""
    assert field_accepted("source", value)
    kept = sources.source_code(value, "p")
    assert kept == (value if sources.PATTERN.fullmatch(value) else None)


@settings(max_examples=300)
@given(st.emails())
@example("amina@example.org")
@example(" amina@example.org\t")
@example("a@b.test")
@example("a@b.Onion")
@example("a@localhost")
def test_an_email_the_document_allows_is_accepted(value):
    """``format: email`` and the pattern together: what they allow, the rules accept.

    (The rules accept more than RFC 5322's dot-atom, for instance international
    addresses; the format says nothing either way there.)
    """
    if matches(contract_patterns.email() + ".*", value.strip()) and "@" in value:
        assert field_accepted("email", value), value
    else:
        assert not field_accepted("email", value), value


def test_the_rules_at_edges_the_patterns_made_explicit():
    assert not field_accepted("country", "\ufb01")  # a ligature that str.upper() turns into "FI"
    assert field_accepted("country", " fI ")
    assert field_accepted("postcode", "\u00df" * 16)  # 16 as sent, although "SS" * 16 when upper-cased
    assert not field_accepted("postcode", "A" * 17)
    assert field_accepted("postcode", "AB \t\u3000 CD")  # one run of whitespace counts as one space
    assert not field_accepted("name", "Visit WWW.example.org")
    assert field_accepted("name", "\u017f\u0131r")  # not ASCII letters, so no link scheme
