"""Running the verification mailer on the stream's records, with a sender that keeps messages."""
from __future__ import annotations

import json

from tests.support.streams import event, read_moto_stream

JSON = {"Content-Type": "application/json"}


GOOD = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "GB", "consent": True}


def sign(client, body=GOOD, petition_id="demo"):
    response = client.post(f"/petitions/{petition_id}/signatures", headers=JSON, body=json.dumps(body))
    assert response.status_code == 202


def deliver():
    """Every record of the stream so far, from its start (a redelivery of all that came before)."""
    [(shard, records)] = read_moto_stream()
    return shard, records


def run_mailer(records, shard="shardId-1"):
    from tools.stream_consumers import app_handler

    return app_handler("mailer")(event(records, shard), None)
