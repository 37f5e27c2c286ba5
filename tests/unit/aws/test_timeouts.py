"""Every AWS call ends inside the API function's budget, so a stalled service gets the app's own 503."""
import json
import logging

import pytest
from botocore.config import Config

from chalicelib.aws import clients, config, models
from tests.support.stalled import API_BUDGET_SECONDS, StalledEndpoint, answer_within
from tools.caches import reset_caches

# Left of the budget for a cold start and for answering once the call has failed.
MARGIN_SECONDS = 2
BOTOCORE_DEFAULT_ATTEMPTS = 5  # legacy mode, what a client without retry settings gets

GOOD = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "GB", "consent": True}


def worst_case_seconds(connect_seconds: float, read_seconds: float, attempts: int) -> float:
    """The longest one call can take when nothing answers.

    Every attempt waits out both timeouts, and botocore's standard mode waits
    at most 2**(n-1) seconds (a throttled attempt; far less otherwise) before
    retry n.
    """
    backoff = sum(min(2.0 ** (n - 1), 20.0) for n in range(1, attempts))
    return attempts * (connect_seconds + read_seconds) + backoff


def limits(client_config: Config) -> tuple[float, float, int]:
    retries = client_config.retries or {}
    attempts = retries.get("total_max_attempts") or (
        retries["max_attempts"] + 1 if "max_attempts" in retries else BOTOCORE_DEFAULT_ATTEMPTS)
    return client_config.connect_timeout, client_config.read_timeout, attempts


@pytest.fixture
def fresh():
    reset_caches()
    yield
    reset_caches()


def every_client():
    yield "dynamodb", clients.dynamodb()
    yield "dynamodbstreams", clients.dynamodb_streams()
    yield "ssm", clients.ssm()
    yield "cloudwatch", clients.cloudwatch()
    for model in (models.Petition, models.Signature):
        yield model.__name__, model._get_connection().connection.client


def test_every_aws_client_gives_up_inside_the_api_functions_budget(fresh):
    for name, client in every_client():
        worst = worst_case_seconds(*limits(client.meta.config))
        assert worst <= API_BUDGET_SECONDS - MARGIN_SECONDS, f"{name}: a stalled call can take {worst} s"


def test_the_limits_leave_room_for_one_retry(fresh):
    for name, client in every_client():
        assert limits(client.meta.config)[2] == 2, name


@pytest.fixture
def stalled(monkeypatch, tables):
    """DynamoDB stops answering (the petition is not cached, so the sign path must read it)."""
    endpoint = StalledEndpoint()
    monkeypatch.setenv("DYNAMODB_ENDPOINT", endpoint.url)
    reset_caches()
    config.settings()  # read now: the test client swaps in the stage's environment during requests
    yield endpoint
    endpoint.close()
    monkeypatch.undo()
    reset_caches()


def test_stalled_dynamodb_gets_the_apps_503_inside_the_budget(client, stalled, caplog):
    caplog.set_level(logging.ERROR, logger="chalicelib")
    response, took = answer_within(API_BUDGET_SECONDS, lambda: client.post(
        "/petitions/demo/signatures", headers={"Content-Type": "application/json"}, body=json.dumps(GOOD)))
    assert response.status_code == 503 and "try again" in response.json_body["error"]
    assert took <= API_BUDGET_SECONDS - MARGIN_SECONDS
    assert 1 <= len(stalled.connections) <= 2
    assert "storage unavailable petition=demo error=ReadTimeoutError" in caplog.messages
