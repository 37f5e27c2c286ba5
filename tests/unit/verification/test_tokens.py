"""Confirmation tokens: round trip, tampering, expiry, another secret, another petition."""
from __future__ import annotations

import pytest

from chalicelib.aws import config, parameters
from chalicelib.verification import tokens
from chalicelib.verification.tokens import TokenState

KEY = b"token-test-secret"
T0 = 1_800_000_000
WEEK = 7 * 86400


def read(token, petition="demo", now=T0 + 60, key=KEY, max_age=WEEK):
    return tokens.read(token, petition, now=now, key=key, max_age=max_age)


def test_round_trip_names_the_signature():
    token = tokens.make("demo#0123abcd", now=T0, key=KEY)
    check = read(token)
    assert (check.state, check.signature_key, check.issued_at) == (TokenState.VALID, "demo#0123abcd", T0)


def test_the_token_is_url_safe_and_short():
    token = tokens.make("demo#" + "f" * 64, now=T0, key=KEY)
    assert len(token) < 200
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_expired_after_the_link_lifetime_but_still_known_to_be_ours():
    token = tokens.make("demo#k", now=T0, key=KEY)
    assert read(token, now=T0 + WEEK).state == TokenState.VALID
    late = read(token, now=T0 + WEEK + 1)
    assert (late.state, late.signature_key) == (TokenState.EXPIRED, "demo#k")


@pytest.mark.parametrize("change", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),     # the signature
    lambda t: "I" + t[1:] if t[0] != "I" else "J" + t[1:],  # the payload
    lambda t: t.replace(".", "", 1),                       # the structure
    lambda t: t[: len(t) // 2],                            # truncated by a mail client
    lambda t: "",
    lambda t: "x" * 5000,
    lambda t: "not a token at all",
])
def test_any_change_makes_it_tampered(change):
    token = tokens.make("demo#k", now=T0, key=KEY)
    assert read(change(token)).state == TokenState.TAMPERED


def test_a_token_made_with_another_secret_is_tampered():
    token = tokens.make("demo#k", now=T0, key=b"someone-elses-secret")
    assert read(token).state == TokenState.TAMPERED


def test_an_expired_token_with_a_bad_signature_is_tampered_not_expired():
    token = tokens.make("demo#k", now=T0, key=b"other")
    assert read(token, now=T0 + 10 * WEEK).state == TokenState.TAMPERED


def test_a_token_for_another_petition_is_wrong_petition():
    token = tokens.make("other-petition#k", now=T0, key=KEY)
    assert read(token, petition="demo") == tokens.TokenCheck(TokenState.WRONG_PETITION)
    # a petition id that is a prefix of the other does not match either
    assert read(tokens.make("demo-2#k", now=T0, key=KEY), petition="demo").state == TokenState.WRONG_PETITION


def test_secret_and_lifetime_come_from_the_configuration(monkeypatch):
    monkeypatch.setenv("VERIFY_TOKEN_SECRET", "configured")
    monkeypatch.setenv("VERIFY_LINK_DAYS", "1")
    config.reset()
    parameters.reset()
    try:
        token = tokens.make("demo#k", now=T0)
        assert tokens.read(token, "demo", now=T0 + 86400).state == TokenState.VALID
        assert tokens.read(token, "demo", now=T0 + 86401).state == TokenState.EXPIRED
        assert tokens.read(token, "demo", now=T0 + 60, key=b"configured").state == TokenState.VALID
    finally:
        config.reset()
        parameters.reset()


def test_deployed_stages_read_the_secret_from_ssm(monkeypatch):
    from moto import mock_aws

    from chalicelib.aws import clients

    monkeypatch.delenv("VERIFY_TOKEN_SECRET", raising=False)
    monkeypatch.setenv("VERIFY_TOKEN_PARAMETER", "/countersign/dev/verify-token-secret")
    config.reset()
    parameters.reset()
    with mock_aws():
        clients.reset()
        clients.ssm().put_parameter(Name="/countersign/dev/verify-token-secret", Value="from-ssm", Type="SecureString")
        assert tokens.secret() == b"from-ssm"
    clients.reset()
    config.reset()
    parameters.reset()


def test_without_a_secret_nothing_is_signed(monkeypatch):
    monkeypatch.delenv("VERIFY_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("VERIFY_TOKEN_PARAMETER", raising=False)
    config.reset()
    parameters.reset()
    with pytest.raises(tokens.MissingSecret):
        tokens.make("demo#k")
    config.reset()
    parameters.reset()
