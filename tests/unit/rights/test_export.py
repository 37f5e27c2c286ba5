"""Exports: the summary equals /totals, the lists hold what they promise and nothing else, and CSV is safe."""
from __future__ import annotations

import csv
import io
import json

import pytest

from chalicelib.aws import config
from chalicelib.identity import canonical_email
from chalicelib.petitions import catalog
from chalicelib.rights import export
from chalicelib.rights.spreadsheet import BOM, Format, RowWriter, neutralised
from tests.support.moto_stack import sign, tally, totals
from tools import petition_admin

HOSTILE = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\tleading tab", "\rcarriage return"]


@pytest.mark.parametrize("cell", HOSTILE)
def test_a_cell_a_spreadsheet_would_run_is_neutralised(cell):
    assert neutralised(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Amina Yusuf", "SW1A 1AA", "a=b", "", "O'Brien", "1,2", 'say "hi"'])
def test_ordinary_cells_are_left_alone(cell):
    assert neutralised(cell) == cell


def read_csv(text: str) -> list[dict]:
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text[len(BOM):], newline="")))


def exported(petition_id: str, kind: str, fmt: str = "csv", segments: int = 3) -> tuple[str, export.Result]:
    out = io.StringIO(newline="")
    result = export.write(petition_id, kind, out, fmt, segments)
    return out.getvalue(), result


def test_csv_quotes_as_rfc_4180_says_and_round_trips():
    out = io.StringIO(newline="")
    writer = RowWriter(out, ["a", "b"], Format.CSV)
    writer.write({"a": 'Zoë "Z" Smith, Jr.', "b": "line\nbreak"})
    text = out.getvalue()
    assert text == BOM + "a,b\r\n" + '"Zoë ""Z"" Smith, Jr.","line\nbreak"\r\n'
    assert read_csv(text) == [{"a": 'Zoë "Z" Smith, Jr.', "b": "line\nbreak"}]


@pytest.fixture
def signed(client, petition):
    sign(client, "Amina Yusuf", "amina@example.org", "GB", postcode="SW1A 1AA", updates_opt_in=True,
         source="newsletter")
    sign(client, "Jean Dupont", "jean@example.org", "FR")
    sign(client, "Zoë Müller", "zoe@example.org", "DE", updates_opt_in=True)
    sign(client, "Li Wei", "li@example.org", "GB")
    tally()
    return client


def test_summary_equals_the_totals_endpoint(signed):
    text, result = exported("demo", "summary")
    rows = read_csv(text)
    figures = totals(signed)
    assert {r["country_code"]: int(r["signatures"]) for r in rows[:-1]} == figures["by_country"] == \
        {"GB": 2, "FR": 1, "DE": 1}
    assert rows[-1]["country_name"] == "Total" and int(rows[-1]["signatures"]) == figures["total"] == 4
    assert rows[0]["country_name"] == "United Kingdom"
    assert {r["snapshot_at"] for r in rows} == {result.snapshot_at}


def test_the_delivery_list_has_every_counted_signature_and_no_email(signed):
    text, result = exported("demo", "signatures")
    rows = read_csv(text)
    assert result.rows == 4
    assert sorted((r["name"], r["country"], r["postcode"], r["status"]) for r in rows) == [
        ("Amina Yusuf", "GB", "SW1A 1AA", "confirmed"), ("Jean Dupont", "FR", "", "confirmed"),
        ("Li Wei", "GB", "", "confirmed"), ("Zoë Müller", "DE", "", "confirmed")]
    assert "@" not in text and "email" not in rows[0]
    assert all(r["signed_at"].endswith("Z") for r in rows)


def test_the_delivery_list_leaves_out_signatures_that_do_not_count(signed, tables):
    tables.update_item(TableName=config.settings().signatures_table,
                       Key={"signature_key": {"S": canonical_email.signature_key(
                           "demo", "li@example.org", canonical_email.hash_secret())}},
                       UpdateExpression="SET #s = :x", ExpressionAttributeNames={"#s": "status"},
                       ExpressionAttributeValues={":x": {"S": "invalidated"}})
    names = {r["name"] for r in read_csv(exported("demo", "signatures")[0])}
    assert names == {"Amina Yusuf", "Jean Dupont", "Zoë Müller"}


def test_ticking_the_box_alone_puts_nobody_on_the_updates_list(signed):
    """Without verification, anyone could type someone else's address: the tick is not proof."""
    text, result = exported("demo", "updates")
    assert result.rows == 0 and read_csv(text) == []


def test_confirmed_signatures_with_the_box_ticked_are_on_the_updates_list(client, petition):
    petition_admin.update("demo", require_verification=True)
    catalog.reset()
    from chalicelib.verification import confirm, tokens

    for name, email, opt_in in (("Amina J. Yusuf", "amina@example.org", True), ("Jean Dupont", "jean@example.org",
                                                                                 False),
                                ("Pending Person", "pending@example.org", True)):
        sign(client, name, email, "GB", updates_opt_in=opt_in, source="newsletter")
    for email in ("amina@example.org", "jean@example.org"):
        key = canonical_email.signature_key("demo", email, canonical_email.hash_secret())
        assert confirm.confirm("demo", tokens.make(key)).step == confirm.Step.CONFIRMED
    rows = read_csv(exported("demo", "updates")[0])
    assert [(r["email"], r["first_name"], r["last_name"], r["country"], r["source"]) for r in rows] == [
        ("amina@example.org", "Amina", "J. Yusuf", "GB", "newsletter")]
    assert list(rows[0]) == ["email", "first_name", "last_name", "zip_code", "country", "consent_at", "source"]
    assert rows[0]["consent_at"].endswith("Z")


def test_hostile_rows_written_straight_to_the_table_come_out_neutralised(petition, tables, client):
    """Whatever validation let in (or another path wrote), the CSV cell cannot run as a formula."""
    for i, cell in enumerate(HOSTILE):
        tables.put_item(TableName=config.settings().signatures_table, Item={
            "signature_key": {"S": f"demo#hostile{i}"}, "petition_id": {"S": "demo"}, "name": {"S": cell},
            "email": {"S": f"h{i}@example.org"}, "country": {"S": "GB"}, "postcode": {"S": cell},
            "consent_at": {"S": "2026-01-01T00:00:00Z"}, "created_at": {"S": "2026-01-01T00:00:00Z"},
            "status": {"S": "confirmed"}, "updates_opt_in": {"BOOL": True},
            "updates_confirmed_at": {"S": "2026-01-02T00:00:00Z"}, "source": {"S": cell}})
    for kind, columns in (("signatures", ("name", "postcode")), ("updates", ("first_name", "zip_code", "source"))):
        rows = read_csv(exported("demo", kind)[0])
        assert len(rows) == len(HOSTILE)
        for row in rows:
            for column in columns:
                assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), (kind, column, row[column])
        if kind == "signatures":
            assert sorted(r["name"] for r in rows) == sorted("'" + c for c in HOSTILE)


def test_json_lines_carry_the_same_rows_unchanged(signed):
    csv_rows = read_csv(exported("demo", "signatures")[0])
    text, result = exported("demo", "signatures", "jsonl")
    lines = [json.loads(line) for line in text.splitlines()]
    assert result.format == Format.JSONL and len(lines) == len(csv_rows) == 4
    assert sorted(line["name"] for line in lines) == sorted(r["name"] for r in csv_rows)


def test_other_petitions_signatures_stay_out(signed):
    petition_admin.create("other", "Another", "Another one.", 10)
    sign(signed, "Other Signer", "other@example.org", "GB", petition="other")
    tally()
    assert [r["name"] for r in read_csv(exported("other", "signatures")[0])] == ["Other Signer"]
    assert "Other Signer" not in exported("demo", "signatures")[0]


def test_an_unknown_petition_is_refused(tables):
    with pytest.raises(export.UnknownPetition):
        exported("no-such", "summary")


def test_a_readers_failure_is_raised_not_swallowed(tables):
    class Broken:
        def get_paginator(self, name):
            raise RuntimeError("storage fell over")

    with pytest.raises(RuntimeError, match="storage fell over"):
        list(export.scan({"TableName": "x"}, segments=4, client=Broken()))


def test_make_export_writes_the_file(signed, tmp_path, capsys):
    from tools import export as tool

    out = tmp_path / "delivery.csv"
    assert tool.main(["demo", "--kind", "signatures", "--out", str(out), "--segments", "2"]) == 0
    assert len(read_csv(out.read_text(encoding="utf-8"))) == 4
    assert "4 rows" in capsys.readouterr().out
    assert tool.main(["nope", "--kind", "summary", "--out", str(tmp_path / "x.csv")]) == 1
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.partial").exists()
