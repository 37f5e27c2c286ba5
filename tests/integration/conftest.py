"""Integration fixtures: DynamoDB Local on a free port, and the stack's processes around it.

One DynamoDB Local (in memory) serves the whole session; each test gets its
own tables, stream runner and API server, so tests cannot see each other's
data. The processes run with their own environment (tools.devstack), not
the moto settings of tests/conftest.py.
"""
from __future__ import annotations

import re
import threading
import time
import urllib.parse

import pytest
import requests

from chalicelib.tally.totals import SOURCE_KEY
from tools import reconcile
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

_sessions = threading.local()


def http() -> requests.Session:
    """One keep-alive session per thread."""
    if not hasattr(_sessions, "session"):
        _sessions.session = requests.Session()
    return _sessions.session


def sign(base_url: str, name: str, email: str, country: str, form: bool = True,
         petition: str = "demo") -> requests.Response:
    url = f"{base_url}/petitions/{petition}/signatures"
    fields = {"name": name, "email": email, "country": country, "consent": "on" if form else True}
    if form:
        return http().post(url, data=urllib.parse.urlencode(fields), allow_redirects=False, timeout=30,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    return http().post(url, json=fields, timeout=30)


def acknowledged(response: requests.Response) -> bool:
    return response.status_code in (202, 303)


def totals(base_url: str, petition: str = "demo") -> dict:
    response = http().get(f"{base_url}/petitions/{petition}/totals", timeout=10)
    response.raise_for_status()
    return response.json()


def wait_for_totals(base_url: str, expected: dict[str, int], timeout: float = 60, petition: str = "demo") -> dict:
    deadline = time.monotonic() + timeout
    while True:
        seen = totals(base_url, petition)
        if seen["by_country"] == expected:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"totals {seen['by_country']} never became {expected}")
        time.sleep(0.1)


def stored_by_country(stack: DevStack, petition: str = "demo") -> dict[str, int]:
    """A recount of confirmed signatures straight from the signatures table."""
    counted, _ = reconcile.recount(1, client=stack.client(), table=stack.tables["SIGNATURES_TABLE"], consistent=True)
    return {country: n for (petition_id, country), n in counted.items()
            if petition_id == petition and not country.startswith(SOURCE_KEY)}
