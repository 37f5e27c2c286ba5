"""boto3 clients, created lazily once per container and shared."""
from __future__ import annotations

from functools import lru_cache

import boto3
from botocore.config import Config

from . import config


@lru_cache(maxsize=None)
def _client(service: str, endpoint: str | None, region: str):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
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


def reset() -> None:
    _client.cache_clear()
