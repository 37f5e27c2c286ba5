"""boto3 clients, created lazily once per container and shared."""
from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from . import config

CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"

# Bounded, so that no request can outlast a function's time (botocore waits a
# minute by default); DynamoDB answers in milliseconds.
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 3
# Standard retry mode sleeps up to 1 s, then 2 s, between attempts.
RETRY_SLEEP_SECONDS = sum(2 ** i for i in range(MAX_ATTEMPTS - 1))
# The longest one request can take, retries included (the stream tally keeps this much time in hand).
WORST_REQUEST_SECONDS = MAX_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + RETRY_SLEEP_SECONDS


@cache
def _client(service: str, endpoint: str | None, region: str):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
                      connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS),
    )


def dynamodb():
    s = config.settings()
    return _client("dynamodb", s.dynamodb_endpoint, s.region)


def dynamodb_streams():
    s = config.settings()
    return _client("dynamodbstreams", s.dynamodb_endpoint, s.region)


def cloudwatch():
    s = config.settings()
    return _client("cloudwatch", None, s.region)


def ssm():
    s = config.settings()
    return _client("ssm", None, s.region)


def conditional_check_failed(exc: BaseException) -> bool:
    """Was this error DynamoDB refusing a write because its condition did not hold?

    boto3 raises ``ClientError``; PynamoDB wraps it and keeps the code in
    ``cause_response_code``.
    """
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") == CONDITIONAL_CHECK_FAILED
    return getattr(exc, "cause_response_code", None) == CONDITIONAL_CHECK_FAILED


def reset() -> None:
    _client.cache_clear()
