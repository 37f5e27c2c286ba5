"""Shared fixtures: moto-backed tables built from the deploy template, and the app's test client."""
from __future__ import annotations

import os

from tools import fake_aws

fake_aws.apply(os.environ)
os.environ.update({
    "SIGNATURE_KEY_SECRET": "test-secret",
    "SIGNATURES_TABLE": "test-signatures",
    "PETITIONS_TABLE": "test-petitions",
    "TOTALS_TABLE": "test-totals",
    "ALLOWED_ORIGINS": "https://campaign.example.org",
})
os.environ.pop("DYNAMODB_ENDPOINT", None)

import botocore.client  # noqa: E402
import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import aws  # noqa: E402
from tools.caches import reset_caches  # noqa: E402


@pytest.fixture
def tables():
    """Empty tables in moto, created from infra/resources.json."""
    from tools import schema

    reset_caches()
    with mock_aws():
        schema.create_tables()
        yield aws.dynamodb()
    reset_caches()


@pytest.fixture
def petition(tables):
    from tools import petition_admin

    petition_admin.create("demo", "Protect people seeking asylum", "Five asks to world leaders.", 1_500_000)
    return "demo"


@pytest.fixture
def client(tables):
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        yield c.http


class CallCounter:
    """Counts AWS API calls by operation name (PynamoDB and boto3 both go through here)."""

    def __init__(self):
        self.calls: list[str] = []

    def reads(self):
        return [c for c in self.calls if c in ("GetItem", "BatchGetItem", "Query", "Scan")]

    def writes(self):
        return [c for c in self.calls if c in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")]


@pytest.fixture
def aws_calls(monkeypatch):
    counter = CallCounter()
    real = botocore.client.BaseClient._make_api_call

    def counting(self, operation_name, api_params):
        counter.calls.append(operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    return counter
