"""The secret that keys the email hash, read from Parameter Store on deployed stages.

Parameter Store failing (missing parameter, no permission, stalled) must give
the signer the app's 503 quickly, say in the log which failure it was, and not
be asked again by every request while it is down.
"""
import json
import logging
import time

import pytest

from chalicelib.aws import clients, config, parameters
from tests.support.stalled import API_BUDGET_SECONDS, StalledEndpoint, answer_within
from tools.caches import reset_caches

PARAMETER = "/countersign/dev/signature-key-secret"
GOOD = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "GB", "consent": True}


def sign(client):
    return client.post("/petitions/demo/signatures", headers={"Content-Type": "application/json"},
                       body=json.dumps(GOOD))


@pytest.fixture
def from_parameter_store(monkeypatch, petition):
    """A deployed stage's configuration: the secret is in Parameter Store, not the environment."""
    monkeypatch.delenv("SIGNATURE_KEY_SECRET")
    monkeypatch.setenv("SIGNATURE_KEY_PARAMETER", PARAMETER)
    reset_caches()
    config.settings()  # read now: the test client swaps in the stage's environment during requests
    yield
    monkeypatch.undo()
    reset_caches()


def test_settings_never_show_the_secret(monkeypatch):
    monkeypatch.setenv("SIGNATURE_KEY_SECRET", "s3cret-do-not-print")
    config.reset()
    try:
        settings = config.settings()
        assert settings.signature_key_secret == "s3cret-do-not-print"
        assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)
    finally:
        monkeypatch.undo()
        config.reset()


def test_a_missing_parameter_is_a_503_naming_ssms_error_and_is_not_asked_again_at_once(
        client, from_parameter_store, aws_calls, caplog, monkeypatch):
    caplog.set_level(logging.ERROR, logger="chalicelib")
    monkeypatch.setattr(parameters, "FAILURE_SECONDS", 0.5)
    first = sign(client)
    assert first.status_code == 503 and "try again" in first.json_body["error"]
    assert "ParameterNotFound" in caplog.text and "error=ClientError" not in caplog.text
    assert aws_calls.calls.count("GetParameter") == 1

    assert sign(client).status_code == 503  # remembered: Parameter Store is not asked again
    assert aws_calls.calls.count("GetParameter") == 1
    assert "storage unavailable petition=demo error=ParameterNotFound" in caplog.messages

    clients.ssm().put_parameter(Name=PARAMETER, Value="s3cret", Type="SecureString")
    time.sleep(0.6)
    assert sign(client).status_code == 202  # asked again once the failure is old
    assert aws_calls.calls.count("GetParameter") == 2
    assert sign(client).status_code == 202 and aws_calls.calls.count("GetParameter") == 2


def test_an_error_ssm_has_no_class_for_is_logged_by_its_code(client, from_parameter_store, caplog, monkeypatch):
    """Modelled errors (ParameterNotFound) get a class named after them; AccessDeniedException is a bare ClientError."""
    from botocore.exceptions import ClientError

    class Refusing:
        def get_parameter(self, **_):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "GetParameter")

    monkeypatch.setattr(clients, "ssm", Refusing)
    caplog.set_level(logging.ERROR, logger="chalicelib")
    assert sign(client).status_code == 503
    assert "storage unavailable petition=demo error=AccessDeniedException" in caplog.messages


def test_a_stalled_parameter_store_gets_the_apps_503_inside_the_budget(
        client, from_parameter_store, monkeypatch, caplog):
    caplog.set_level(logging.ERROR, logger="chalicelib")
    stalled = StalledEndpoint()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", stalled.url)  # botocore's own per-service endpoint setting
        clients.reset()
        first, took = answer_within(API_BUDGET_SECONDS, lambda: sign(client))
        assert first.status_code == 503 and took < API_BUDGET_SECONDS
        assert "ReadTimeoutError" in caplog.text
        attempts = len(stalled.connections)
        again, took = answer_within(API_BUDGET_SECONDS, lambda: sign(client))
        assert again.status_code == 503 and took < 1
        assert len(stalled.connections) == attempts
    finally:
        stalled.close()
