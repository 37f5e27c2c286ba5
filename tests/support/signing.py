"""Signing through the app's test client, and the stored result."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from chalicelib.aws import models

JSON = {"Content-Type": "application/json"}


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


GOOD = {"name": "Amina Yusuf", "email": "amina@example.org", "country": "gb", "consent": True,
        "postcode": " sw1a  1aa ", "source": "newsletter"}


GOOD_FORM = {**GOOD, "consent": "on"}


def post_json(client, body, petition_id="demo", headers=None):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(f"/petitions/{petition_id}/signatures", headers={**JSON, **(headers or {})}, body=raw)


def post_form(client, fields, petition_id="demo", headers=None):
    return client.post(f"/petitions/{petition_id}/signatures", headers={**FORM, **(headers or {})},
                       body=urlencode(fields))


def stored():
    return list(models.Signature.scan())
