"""The admin petition page's export buttons: signed in, with the CSRF token, audited, never cached.

Under `make run` (EXPORT_DIR) the file is written at once and served to the
signed-in admin only; deployed (EXPORT_FUNCTION and EXPORT_BUCKET) the button
starts the export function without waiting, and the export's address waits
for the object, then hands out a link that works for an hour.
"""
from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.admin import exports
from chalicelib.audit import trail
from chalicelib.aws import clients, config
from chalicelib.rights import delivery
from chalicelib.rights.spreadsheet import BOM
from tests.support.admin_session import ADMIN
from tests.support.moto_stack import sign, tally
from tools import petition_admin

BUCKET = "countersign-test-exportbucket"


def settle(monkeypatch, **env):
    for name in ("EXPORT_DIR", "EXPORT_FUNCTION", "EXPORT_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config.reset()
    config.settings()  # read now: the test client sets its stage's variables while a request runs


@pytest.fixture
def signed(admin, client, tables):
    petition_admin.create("demo", "A petition", "Its summary.", 1000)
    sign(client, "Amina Yusuf", "amina@example.org", "GB", postcode="SW1A 1AA")
    sign(client, "Jean Dupont", "jean@example.org", "FR")
    tally()
    return admin


def press(admin, kind="signatures", fmt="csv", token=None):
    page = admin.get("/admin/petitions/demo").body.decode()
    fields = {"kind": kind, "format": fmt}
    if token is not False:
        fields["csrf_token"] = token or admin.csrf(page)
    return admin.post("/admin/petitions/demo/exports", fields)


def test_the_petition_page_offers_the_three_exports(signed, monkeypatch, tmp_path):
    settle(monkeypatch, EXPORT_DIR=str(tmp_path))
    page = signed.get("/admin/petitions/demo").body.decode()
    assert 'action="/admin/petitions/demo/exports"' in page
    assert {m for m in re.findall(r'name="kind" value="(\w+)"', page)} == {"summary", "signatures", "updates"}


def test_locally_the_file_is_written_and_served_to_the_signed_in_admin_only(signed, client, monkeypatch,
                                                                               tmp_path):
    settle(monkeypatch, EXPORT_DIR=str(tmp_path))
    started = press(signed)
    assert started.status_code == 303 and started.headers["Cache-Control"] == "no-store"
    address = started.headers["Location"]
    assert re.fullmatch(r"/admin/petitions/demo/exports/\d{4}-\d\d-\d\dT\d{6}Z-signatures\.csv", address)
    got = signed.get(address)
    assert got.status_code == 200 and got.headers["Cache-Control"] == "no-store"
    assert got.headers["Content-Type"].startswith("text/csv")
    assert got.headers["Content-Disposition"].startswith('attachment; filename="demo-')
    text = got.body.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text[len(BOM):], newline="")))
    assert sorted((r["name"], r["country"]) for r in rows) == [("Amina Yusuf", "GB"), ("Jean Dupont", "FR")]
    assert "@" not in text                      # the delivery list carries no addresses
    anonymous = client.get(address)             # no session: the sign-in page, not the file
    assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/admin/sign-in"
    [record] = [e for e in trail.latest(10) if e.action == "export signatures"]
    assert (record.actor, record.petition_id, record.after["rows"]) == (ADMIN, "demo", 2)
    assert "amina" not in json.dumps(record.after).lower()


def test_json_lines_and_the_summary(signed, monkeypatch, tmp_path):
    settle(monkeypatch, EXPORT_DIR=str(tmp_path))
    got = signed.get(press(signed, "summary", "jsonl").headers["Location"])
    assert got.headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in got.body.decode().splitlines()]
    assert {line["country_code"]: line["signatures"] for line in lines[:-1]} == {"GB": 1, "FR": 1}


def test_without_the_csrf_token_nothing_is_exported(signed, monkeypatch, tmp_path):
    settle(monkeypatch, EXPORT_DIR=str(tmp_path))
    assert press(signed, token=False).status_code == 403
    assert press(signed, token="forged").status_code == 403
    assert list(tmp_path.rglob("*.csv")) == []


def test_bad_requests_get_their_own_answers(signed, monkeypatch, tmp_path):
    settle(monkeypatch, EXPORT_DIR=str(tmp_path))
    assert press(signed, kind="everything").status_code == 422
    assert press(signed, fmt="xlsx").status_code == 422
    token = signed.csrf(signed.get("/admin/petitions/demo").body.decode())
    assert signed.post("/admin/petitions/nothing-here/exports",
                       {"kind": "summary", "format": "csv", "csrf_token": token}).status_code == 404
    for name in ("x.csv", "..%2F..%2Fstack.env", "2026-01-02T030405Z-summary.csv"):  # the last: never written
        assert signed.get(f"/admin/petitions/demo/exports/{name}").status_code == 404
    settle(monkeypatch)
    assert press(signed).status_code == 503    # neither a bucket and function nor a directory: said so


class Invoker:
    """Lambda's asynchronous invoke: recorded; the test runs the function when it chooses."""

    def __init__(self):
        self.invoked: list[dict] = []

    def invoke(self, **call):
        assert call["InvocationType"] == "Event" and call["FunctionName"] == "countersign-test-export"
        self.invoked.append(json.loads(call["Payload"]))
        return {"StatusCode": 202}


def test_deployed_the_button_starts_the_function_and_the_address_waits_then_links(signed, monkeypatch):
    settle(monkeypatch, EXPORT_FUNCTION="countersign-test-export", EXPORT_BUCKET=BUCKET)
    clients.s3().create_bucket(Bucket=BUCKET)
    invoker = Invoker()
    monkeypatch.setattr(clients, "lambda_client", lambda: invoker)
    started = press(signed, "updates")
    address = started.headers["Location"]
    [payload] = invoker.invoked
    name = address.rsplit("/", 1)[1]
    assert payload == {"petition_id": "demo", "kind": "updates", "format": "csv", "actor": ADMIN,
                       "key": f"exports/demo/{name}"}
    waiting = signed.get(address)               # the function has not written it yet
    assert waiting.status_code == 200 and waiting.headers["Refresh"] == "5"
    assert "Preparing the export" in waiting.body.decode()
    assert exports.mode() == "deployed"
    delivery.handle(payload)                    # the function runs
    ready = signed.get(address)
    assert ready.status_code == 303 and ready.headers["Cache-Control"] == "no-store"
    link = urlsplit(ready.headers["Location"])
    assert link.path == f"/{BUCKET}/exports/demo/{name}" or link.path == f"/exports/demo/{name}"
    assert parse_qs(link.query)["X-Amz-Expires"] == ["3600"]
    [record] = [e for e in trail.latest(10) if e.action == "export updates"]
    assert record.actor == ADMIN and record.after["object"] == f"exports/demo/{name}"


def test_the_function_refuses_a_key_outside_the_petitions_exports():
    with pytest.raises(delivery.Refused):
        delivery.parse_key({"key": "exports/other/2026-01-02T030405Z-summary.csv"}, "demo",
                           delivery.export.Kind.SUMMARY, delivery.Format.CSV)
    with pytest.raises(delivery.Refused):
        delivery.parse_key({"key": "exports/demo/2026-01-02T030405Z-updates.csv"}, "demo",
                           delivery.export.Kind.SUMMARY, delivery.Format.CSV)
    assert delivery.parse_key({}, "demo", delivery.export.Kind.SUMMARY, delivery.Format.CSV) is None
