"""Writing rows as CSV that spreadsheets open safely, or as JSON Lines (pure; no AWS).

CSV: UTF-8 with a byte order mark (so Excel reads it as UTF-8), RFC 4180
quoting and CRLF line ends (Python's csv module, ``excel`` dialect), and every
cell that a spreadsheet would read as a formula neutralised with a leading
apostrophe: text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return (OWASP's "CSV injection" list). Whatever validation let in when the
signature was taken, the export is where it is made harmless, so rows written
to the table by any other path are covered too.

JSON Lines: one JSON object per line, UTF-8, no neutralising (JSON is read by
programs, not spreadsheets), so values round-trip exactly.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import IO, Any

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def neutralised(value: Any) -> str:
    """A cell's text, with a leading apostrophe when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class RowWriter:
    """Writes rows (dicts with the given columns) to a text stream, one at a time."""

    def __init__(self, out: IO[str], columns: Sequence[str], fmt: Format):
        self.out, self.columns, self.format = out, list(columns), Format(fmt)
        self.rows = 0
        if self.format == Format.CSV:
            out.write(BOM)
            self._csv = csv.writer(out, dialect="excel", lineterminator="\r\n")
            self._csv.writerow(self.columns)

    def write(self, row: dict[str, Any]) -> None:
        if self.format == Format.CSV:
            self._csv.writerow([neutralised(row.get(column)) for column in self.columns])
        else:
            self.out.write(json.dumps({column: row.get(column) for column in self.columns},
                                      ensure_ascii=False, separators=(",", ":")) + "\n")
        self.rows += 1

    def write_all(self, rows: Iterable[dict[str, Any]]) -> int:
        for row in rows:
            self.write(row)
        return self.rows
