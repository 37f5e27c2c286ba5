"""When storage fails, every read route answers 503 in our words (never Chalice's bare 500)."""
from __future__ import annotations

import json

import botocore.client
import pytest
from botocore.exceptions import ClientError

from chalicelib.petitions import catalog

PAGES = ["/", "/petitions/demo/sign", "/petitions/demo/thanks", "/petitions/demo/dashboard"]
JSON_ROUTES = ["/petitions/demo", "/petitions/demo/totals"]


@pytest.fixture
def storage_down(petition, monkeypatch):
    catalog.reset()  # nothing answered from the container's cache

    def failing(self, operation, params):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, operation)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", failing)


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_a_503_page_when_storage_fails(client, storage_down, path, caplog):
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Retry-After"] == "30"
    assert "Please try again in a minute" in response.body.decode()
    assert "error=InternalServerError" in caplog.text


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_json_routes_answer_a_503_when_storage_fails(client, storage_down, path):
    response = client.get(path)
    assert response.status_code == 503
    assert json.loads(response.body)["error"] == "We can't show this just now. Please try again in a minute."
    assert response.headers["Cache-Control"] == "no-store"


def test_routes_answer_normally_when_storage_works(client, petition):
    assert client.get("/petitions/demo/sign").status_code == 200
    assert client.get("/petitions/demo/totals").status_code == 200
