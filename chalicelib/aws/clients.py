"""boto3 clients, created lazily once per container and shared, and how long their calls may take."""
from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib.aws import caches, config

CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
# What a storage failure looks like from boto3 and PynamoDB: answered with a 503, never a 500.
STORAGE_ERRORS = (PynamoDBException, BotoCoreError, ClientError)


@dataclass(frozen=True)
class CallLimits:
    """How long one AWS call may take before the app gives up on it.

    botocore's defaults (60 s to connect, 60 s per read, retries) and
    PynamoDB's (15 s, 30 s, 3 retries) outlast the API function's 10 s: a call
    that stops answering would end in API Gateway's 502 or 504 instead of our
    503 and its "try again". DynamoDB and SSM answer in milliseconds in-region,
    so these leave room for a slow moment and one retry, and still let a
    stalled call fail with time to answer.
    """

    connect_seconds: int  # whole seconds: PynamoDB's settings are typed int
    read_seconds: int
    attempts: int  # the first try included

    def botocore_config(self) -> Config:
        return Config(connect_timeout=self.connect_seconds, read_timeout=self.read_seconds,
                      retries={"mode": "standard", "total_max_attempts": self.attempts})

    @property
    def retries(self) -> int:
        return self.attempts - 1

    @property
    def worst_seconds(self) -> int:
        """The longest one call can take: every attempt timing out, and standard mode's backoff between them."""
        backoff = sum(2 ** i for i in range(self.attempts - 1))  # at most 1 s, then 2 s, ...
        return self.attempts * (self.connect_seconds + self.read_seconds) + backoff


# One call that never answers gives up after 2 x (1 s + 2 s), plus at most 1 s
# of backoff before the retry: 7 s of the API function's 10.
# tests/unit/aws/test_timeouts.py checks every client against the function's timeout.
LIMITS = CallLimits(connect_seconds=1, read_seconds=2, attempts=2)
# Jobs that read or rewrite a whole table (exports, retention, erasure from a
# terminal) run in functions of their own with minutes to spare: they ride out
# throttling and a slow moment with more attempts instead of failing a long run.
JOB_LIMITS = CallLimits(connect_seconds=2, read_seconds=10, attempts=8)


@caches.cached
def _client(service: str, endpoint: str | None, region: str, limits: CallLimits = LIMITS):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        config=limits.botocore_config(),
    )


def dynamodb():
    s = config.settings()
    return _client("dynamodb", s.dynamodb_endpoint, s.region)


def dynamodb_for_jobs():
    """DynamoDB for long jobs (never the API's requests): patient retries, see JOB_LIMITS."""
    s = config.settings()
    return _client("dynamodb", s.dynamodb_endpoint, s.region, JOB_LIMITS)


def s3():
    """S3 for exports; presigned links are SigV4 (their lifetime is in the link, at most 7 days)."""
    s = config.settings()
    return _s3(s.region)


@caches.cached
def _s3(region: str):
    return boto3.client("s3", region_name=region,
                        config=JOB_LIMITS.botocore_config().merge(Config(signature_version="s3v4")))


def lambda_client():
    """Lambda, to start the export function from the admin area (an asynchronous invoke: it answers at once)."""
    return _client("lambda", None, config.settings().region)


def dynamodb_streams():
    s = config.settings()
    return _client("dynamodbstreams", s.dynamodb_endpoint, s.region)


def cloudwatch():
    s = config.settings()
    return _client("cloudwatch", None, s.region)


def ssm():
    s = config.settings()
    return _client("ssm", None, s.region)


def sesv2():
    s = config.settings()
    return _client("sesv2", None, s.region)


def conditional_check_failed(exc: BaseException) -> bool:
    """Was this error DynamoDB refusing a write because its condition did not hold?

    boto3 raises ``ClientError``; PynamoDB wraps it and keeps the code in
    ``cause_response_code``.
    """
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") == CONDITIONAL_CHECK_FAILED
    return getattr(exc, "cause_response_code", None) == CONDITIONAL_CHECK_FAILED


def error_code(exc: BaseException) -> str:
    """What went wrong, for a log line: AWS's error code, or the exception's name when no answer came.

    ``ParameterNotFound`` and ``AccessDeniedException`` need a fix,
    ``ThrottlingException`` and ``ReadTimeoutError`` need patience; a bare
    ``ClientError`` says neither. PynamoDB keeps botocore's exception as ``cause``.
    """
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") or type(exc).__name__
    own = getattr(exc, "aws_error_code", None)  # an error of ours that stands for an AWS failure
    if isinstance(own, str):
        return own
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return error_code(cause)
    return type(exc).__name__


def reset() -> None:
    _client.cache_clear()
    _s3.cache_clear()
