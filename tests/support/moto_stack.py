"""Helpers the data-rights tests share: signing through the API, and running the stream tally."""
from __future__ import annotations

import json

from chalicelib.tally import stream_tally
from tests.support.streams import event, read_moto_stream

JSON = {"Content-Type": "application/json"}


def sign(client, name: str, email: str, country: str, petition: str = "demo", **extra):
    body = {"name": name, "email": email, "country": country, "consent": True, **extra}
    reply = client.post(f"/petitions/{petition}/signatures", headers=JSON, body=json.dumps(body))
    assert reply.status_code == 202, reply.body
    return reply


def tally() -> None:
    """Apply every record on the signatures stream so far (the tally ignores what it has applied before)."""
    for shard, records in read_moto_stream():
        stream_tally.handle(event(records, shard))


def totals(client, petition: str = "demo") -> dict:
    return client.get(f"/petitions/{petition}/totals").json_body
