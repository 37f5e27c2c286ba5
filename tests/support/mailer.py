"""Running the verification mailer on the stream's records, with a sender that keeps messages."""
from __future__ import annotations

import json

from chalicelib import mail
from tests.support.streams import event, read_moto_stream

JSON = {"Content-Type": "application/json"}


GOOD = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "GB", "consent": True}


class Outbox:
    """A sender that keeps what it is given (and can be told to fail)."""

    def __init__(self):
        self.sent: list = []
        self.failing = False

    def send(self, message):
        if self.failing:
            raise mail.SendFailed("SMTP 127.0.0.1:25: ConnectionRefusedError")
        self.sent.append(message)
        return str(len(self.sent))


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
