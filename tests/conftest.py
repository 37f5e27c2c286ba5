"""Shared fixtures: moto-backed tables built from the deploy template, and the app's test client."""
from __future__ import annotations

import os

from tools import fake_aws

fake_aws.apply(os.environ)
os.environ.update({
    "SIGNATURE_KEY_SECRET": "test-secret",
    "VERIFY_TOKEN_SECRET": "test-token-secret",
    "SIGNATURES_TABLE": "test-signatures",
    "PETITIONS_TABLE": "test-petitions",
    "TOTALS_TABLE": "test-totals",
    "ADMIN_TABLE": "test-admin",
    "AUDIT_TABLE": "test-audit",
    "ADMIN_ALLOWLIST": "admin@example.org",
    "ALLOWED_ORIGINS": "https://campaign.example.org",
    "TOTALS_CACHE_SECONDS": "0",  # tests tally and read in one process; the cache has its own test
})
os.environ.pop("DYNAMODB_ENDPOINT", None)

import sys  # noqa: E402

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib.aws import clients  # noqa: E402
from tools.caches import reset_caches  # noqa: E402
from tools.request_meter import READ_OPERATIONS, WRITE_OPERATIONS, Meter  # noqa: E402

# moto parses update expressions recursively; a sharded batch's expression is deep, and a pytest-xdist
# worker's frames come on top of it. DynamoDB itself has no such limit (DynamoDB Local checks the real ones).
sys.setrecursionlimit(max(sys.getrecursionlimit(), 4000))

# Fixtures many test modules use: the signed-in admin and its outbox, the public address, removal mail.
pytest_plugins = ["tests.support.admin_session", "tests.support.pages", "tests.support.rights"]


@pytest.fixture
def tables():
    """Empty tables in moto, created from infra/resources.json."""
    from tools import schema

    reset_caches()
    with mock_aws():
        schema.create_tables()
        yield clients.dynamodb()
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
    """The AWS calls a test makes, as the benchmarks' Meter records them; they compare equal to operation names."""

    def __init__(self, meter: Meter):
        self.meter = meter
        self.calls = meter.calls

    def reads(self):
        return self.meter.of(READ_OPERATIONS)

    def writes(self):
        return self.meter.of(WRITE_OPERATIONS)


@pytest.fixture
def aws_calls():
    meter = Meter(ask_capacity=False)  # requests go out as the code under test makes them
    with meter.active():
        yield CallCounter(meter)


TIERS = {"deploy": "deploy", "integration": "integration", "browser": "browser"}
# Under pytest-xdist the longest work starts first, so that no worker is left with it at the end:
# the tests marked slow, then the deploy tests (one packaging of every stage, shared by the workers:
# tests/deploy/conftest.py), the browser tests (one stack and one Chromium per worker), the
# integration tests, and the unit tests to fill the gaps.
START_ORDER = {"slow": 0, "deploy": 1, "browser": 2, "integration": 3, None: 4}


def pytest_collection_modifyitems(config, items):
    """Each tier is its folder (tests/deploy, tests/integration, tests/browser; the rest is tests/unit)."""
    order = {}
    for item in items:
        tier = TIERS.get(item.path.relative_to(config.rootpath).parts[1])
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))
        order[item.nodeid] = START_ORDER["slow" if item.get_closest_marker("slow") else tier]
    items.sort(key=lambda item: order[item.nodeid])  # stable: the order within a tier is kept
