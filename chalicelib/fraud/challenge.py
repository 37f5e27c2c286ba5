"""The optional challenge: Cloudflare Turnstile on petitions that turn it on (``Petition.challenge``).

A petition under attack can ask each signer to pass a Turnstile check. The
widget on the sign page (and the embed) puts a one-time token in the form's
``cf-turnstile-response`` field; the server asks Turnstile's siteverify
endpoint whether the token is good before it stores anything.

- The check is an HTTP call to the provider, not a DynamoDB request: the sign
  path still makes exactly one DynamoDB request. It runs after the fields are
  valid (a form with mistakes costs no siteverify call) and before the write.
- A missing or refused token is the signer's to fix (422, on the form's
  ``challenge`` field); siteverify unreachable is ours (503, nothing was
  written, so nothing acknowledged is lost).
- The secret comes from ``CHALLENGE_SECRET`` (local, tests) or the SSM
  SecureString ``CHALLENGE_SECRET_PARAMETER`` (deployed), read once per
  container; the siteverify address is a setting so `make run` and the tests
  point it at a local stub (tools/siteverify_stub.py).

The standard library's HTTP client is enough for one form-encoded POST and a
JSON answer; a timeout keeps the call inside the API function's budget.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from enum import StrEnum
from urllib.parse import urlencode

from chalicelib.aws import config, parameters

log = logging.getLogger(__name__)

TOKEN_FIELD = "cf-turnstile-response"  # the field name Turnstile's widget gives its hidden input
FIELD = "challenge"  # where a failed check's message goes (the widget's container has this id)
SCRIPT_URL = "https://challenges.cloudflare.com/turnstile/v0/api.js"
# The sign path's one DynamoDB write may take up to clients.LIMITS.worst_seconds (7 s) of the API
# function's 10 s; siteverify gets what is left, with no retry (a retried token is "already spent").
TIMEOUT_SECONDS = 2.0
MAX_TOKEN_CHARS = 2048  # Turnstile's own limit on a token


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # missing, malformed, expired, spent or refused: the signer tries again
    UNAVAILABLE = "unavailable"  # siteverify (or the secret) could not be reached: ours, a 503


class SecretUnavailable(Exception):
    def __init__(self, code: str):
        super().__init__(f"the challenge secret is unavailable ({code})")
        self.aws_error_code = code


def secret() -> str:
    """The siteverify secret: the setting, else the SSM parameter (aws/parameters.py); SecretUnavailable if neither."""
    s = config.settings()
    if s.challenge_secret:
        return s.challenge_secret
    if not s.challenge_secret_parameter:
        raise SecretUnavailable("NoChallengeSecretConfigured")
    try:
        return parameters.get(s.challenge_secret_parameter, decrypt=True)
    except parameters.Unavailable as exc:
        raise SecretUnavailable(exc.aws_error_code) from exc


def site_key() -> str | None:
    """The widget's public key; without one the page cannot show the widget."""
    return config.settings().challenge_site_key


def token_of(fields: dict) -> str:
    value = fields.get(TOKEN_FIELD)
    return value.strip() if isinstance(value, str) else ""


def verify(token: str, remote_ip: str | None = None) -> Verdict:
    """Ask siteverify about ``token``. Never raises: an outage is ``UNAVAILABLE``."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return Verdict.FAILED  # nothing to ask about: no call
    try:
        key = secret()
    except SecretUnavailable as exc:
        log.error("challenge not checked: no secret error=%s", exc.aws_error_code)
        return Verdict.UNAVAILABLE
    form = {"secret": key, "response": token, **({"remoteip": remote_ip} if remote_ip else {})}
    request = urllib.request.Request(config.settings().challenge_verify_url, data=urlencode(form).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310 (a configured https URL)
            answer = json.loads(reply.read(64 * 1024).decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.error("siteverify unreachable error=%s", type(exc).__name__)
        return Verdict.UNAVAILABLE
    if not isinstance(answer, dict):
        log.error("siteverify answered something that is not a JSON object")
        return Verdict.UNAVAILABLE
    if answer.get("success") is True:
        return Verdict.PASSED
    codes = answer.get("error-codes") or []
    if any(code in ("missing-input-secret", "invalid-input-secret", "internal-error") for code in codes):
        # Our configuration or their outage, not the signer's token.
        log.error("siteverify refused our request error-codes=%s", ",".join(map(str, codes)))
        return Verdict.UNAVAILABLE
    log.info("challenge failed error-codes=%s", ",".join(map(str, codes)))
    return Verdict.FAILED

