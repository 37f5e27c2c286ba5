"""Integration fixtures: DynamoDB Local on a free port, and the stack's processes around it.

One DynamoDB Local (in memory) serves the whole session; each test gets its
own tables, stream runner and API server, so tests cannot see each other's
data. The processes run with their own environment (tools.devstack), not
the moto settings of tests/conftest.py.
"""
from __future__ import annotations

import re
import time

import pytest

from tools.ddblocal import DynamoDBLocal, MissingTool
from tools.devstack import DevStack


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory):
    database = DynamoDBLocal(log_path=tmp_path_factory.mktemp("dynamodb") / "dynamodb.log")
    try:
        database.start()
    except MissingTool as exc:
        pytest.fail(str(exc), pytrace=False)
    yield database
    database.stop()


@pytest.fixture
def stack(dynamodb_local, tmp_path, request):
    """API, stream runner and demo petition on fresh tables in the session's DynamoDB Local."""
    prefix = "it-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40] + f"-{time.time_ns() % 10**6}"
    tables = {"SIGNATURES_TABLE": f"{prefix}-signatures", "PETITIONS_TABLE": f"{prefix}-petitions",
              "TOTALS_TABLE": f"{prefix}-totals"}
    with DevStack(tmp_path, endpoint=dynamodb_local.endpoint, tables=tables) as running:
        yield running


@pytest.fixture
def local_tables(dynamodb_local, monkeypatch, request):
    """This process's app code on fresh tables in the session's DynamoDB Local (which, unlike moto,
    enforces DynamoDB's expression and item limits); yields a client on it."""
    from chalicelib.aws import clients
    from tools import schema
    from tools.caches import reset_caches

    prefix = "lt-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40] + f"-{time.time_ns() % 10**6}"
    monkeypatch.setenv("DYNAMODB_ENDPOINT", dynamodb_local.endpoint)
    for variable, suffix in (("SIGNATURES_TABLE", "signatures"), ("PETITIONS_TABLE", "petitions"),
                             ("TOTALS_TABLE", "totals")):
        monkeypatch.setenv(variable, f"{prefix}-{suffix}")
    reset_caches()
    schema.create_tables()
    yield clients.dynamodb()
    reset_caches()


# ---- helpers the tests share ---------------------------------------------------------













