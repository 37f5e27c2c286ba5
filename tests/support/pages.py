"""Helpers for tests of the public pages: fetch one, read its elements, set totals."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from chalicelib.aws import clients, config
from chalicelib.tally import totals


def set_totals(counts: dict[str, int], updated_at="2026-11-27T20:00:00Z", petition_id="demo"):
    """Write a totals item as the stream tally would leave it."""
    clients.dynamodb().update_item(TableName=config.settings().totals_table,
                               **totals.set_counts_arguments(petition_id, counts, updated_at))


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, for simple structural checks."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def get(client, path, **headers):
    response = client.get(path, headers=headers)
    return response, response.body.decode()


@pytest.fixture
def site_address(monkeypatch):
    """The stage's public address, as a deployment configures it."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://sign.example.org/")
    config.reset()
    config.settings()  # read now: the test client swaps in the stage's environment during requests
    yield "https://sign.example.org"
    monkeypatch.undo()
    config.reset()
