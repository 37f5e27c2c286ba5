"""The three exports of a petition, written row by row as a parallel Scan reads them.

- ``summary``: one row per country (ISO code, English name, count), then the
  total, each stamped with the snapshot's time: the same figures ``/totals``
  answers at that moment (it is read through the same function).
- ``signatures``: the delivery list: name, country, postcode, signed date and
  status of every counted signature; no email addresses.
- ``updates``: the CRM list: name, email, country, postcode, when consent was
  proved, source; only signers who ticked "send me updates" AND proved the
  mailbox is theirs (a confirmed signature on a petition with verification,
  or an opt-in confirmed through its own mailed link; see ``proven_consent``).
  The columns are Action Network's own field names (``email``,
  ``first_name``, ``last_name``, ``zip_code``, ``country``), which its upload
  matches without editing; Mailchimp's import matches them on its mapping
  screen, and takes the country as an ISO code (GB, not UK), as written here.

The signatures table is keyed by a hash, so a petition's signatures are found
by a parallel Scan (``segments`` readers, each a slice of the table), filtered
to the petition. Readers hand pages (at most 1 MB each) to the writer through
a small bounded queue: the writer sets the pace, and memory holds a few pages
whatever the table's size. Rows come in the table's order, not sorted.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import IO, Any

from chalicelib.aws import clients, clock, config
from chalicelib.aws.models import SignatureStatus
from chalicelib.i18n import countries
from chalicelib.rights.spreadsheet import Format, RowWriter
from chalicelib.tally import totals

DEFAULT_SEGMENTS = 8
# Items per Scan request: DynamoDB stops a page at 1 MB anyway; a page this size returns within the
# client's timeout even on DynamoDB Local, where a filtered 1 MB page of a large table can take longer.
PAGE_ITEMS = 1000
PAGES_QUEUED_PER_SEGMENT = 2  # what a reader may run ahead of the writer


class Kind(StrEnum):
    SUMMARY = "summary"
    SIGNATURES = "signatures"
    UPDATES = "updates"


COLUMNS: dict[Kind, list[str]] = {
    Kind.SUMMARY: ["country_code", "country_name", "signatures", "snapshot_at"],
    Kind.SIGNATURES: ["name", "country", "country_name", "postcode", "signed_at", "status"],
    Kind.UPDATES: ["email", "first_name", "last_name", "zip_code", "country", "consent_at", "source"],
}

# What the Scan reads of each item, per kind (never more than the export writes, plus what decides it).
_PROJECTION: dict[Kind, str] = {
    Kind.SIGNATURES: "#n, country, postcode, created_at, #s",
    Kind.UPDATES: "#n, email, country, postcode, #s, updates_opt_in, confirmed_at, updates_confirmed_at, #src",
}
_NAMES: dict[Kind, dict[str, str]] = {
    Kind.SIGNATURES: {"#n": "name", "#s": "status", "#p": "petition_id"},
    Kind.UPDATES: {"#n": "name", "#s": "status", "#p": "petition_id", "#src": "source", "#o": "updates_opt_in"},
}
_FILTER: dict[Kind, str] = {
    Kind.SIGNATURES: "#p = :p AND #s = :counted",
    Kind.UPDATES: "#p = :p AND #s = :counted AND #o = :yes",
}


class UnknownPetition(LookupError):
    """The petition has no totals: it was never created."""


@dataclass(frozen=True)
class Result:
    petition_id: str
    kind: Kind
    format: Format
    rows: int
    snapshot_at: str


# ---- pure: items to rows ------------------------------------------------------------

def _text(item: dict, attribute: str) -> str | None:
    value = item.get(attribute)
    return value.get("S") if isinstance(value, dict) else None


def split_name(name: str) -> tuple[str, str]:
    """First name and the rest, as CRMs want them: ``Amina J. Yusuf`` -> (``Amina``, ``J. Yusuf``)."""
    first, _, rest = " ".join(name.split()).partition(" ")
    return first, rest


def proven_consent(item: dict) -> str | None:
    """When the signer proved, from their own mailbox, that they want updates; None if they never did.

    Ticking the box is not proof (anyone can type anyone's address): a
    confirmed opt-in link is (``updates_confirmed_at``), and so is confirming
    the signature itself by mail, whose message said it would bring updates
    (``confirmed_at``, set only on petitions that require verification).
    """
    if not (item.get("updates_opt_in") or {}).get("BOOL"):
        return None
    return _text(item, "updates_confirmed_at") or _text(item, "confirmed_at")


def signature_row(item: dict) -> dict[str, Any]:
    country = _text(item, "country") or ""
    return {"name": _text(item, "name") or "", "country": country,
            "country_name": countries.names().get(country, country), "postcode": _text(item, "postcode") or "",
            "signed_at": _text(item, "created_at") or "", "status": _text(item, "status") or ""}


def updates_row(item: dict) -> dict[str, Any] | None:
    consent = proven_consent(item)
    email, name = _text(item, "email"), _text(item, "name")
    if consent is None or not email or not name:
        return None
    first, last = split_name(name)
    return {"email": email, "first_name": first, "last_name": last, "zip_code": _text(item, "postcode") or "",
            "country": _text(item, "country") or "", "consent_at": consent, "source": _text(item, "source") or ""}


def summary_rows(figures: dict, snapshot_at: str) -> list[dict[str, Any]]:
    """A row per country, largest first (as /totals orders them), then the total."""
    names = countries.names()
    rows: list[dict[str, Any]] = [
        {"country_code": code, "country_name": names.get(code, code), "signatures": count,
         "snapshot_at": snapshot_at} for code, count in figures["by_country"].items()]
    rows.append({"country_code": "", "country_name": "Total", "signatures": figures["total"],
                 "snapshot_at": snapshot_at})
    return rows


# ---- the streamed parallel Scan -------------------------------------------------------

_DONE = object()


def scan(kwargs: dict, segments: int = DEFAULT_SEGMENTS, client=None, page_items: int | None = None) -> Iterator[dict]:
    """Every item a Scan with ``kwargs`` returns, read by ``segments`` parallel readers, as they arrive.

    At most ``segments * PAGES_QUEUED_PER_SEGMENT`` pages wait in memory (plus
    one being read per reader). A reader's error is raised here, after the
    other readers are stopped. ``page_items`` caps the items a page reads
    (DynamoDB's own cap is 1 MB): each request then returns sooner, which a
    slow engine (DynamoDB Local) needs to answer inside the client's timeout.
    """
    client = client or clients.dynamodb_for_jobs()
    pages: queue.Queue = queue.Queue(maxsize=max(1, segments * PAGES_QUEUED_PER_SEGMENT))
    stop = threading.Event()
    errors: list[BaseException] = []

    def read(segment: int) -> None:
        try:
            paginator = client.get_paginator("scan")
            limit = {"PaginationConfig": {"PageSize": page_items}} if page_items else {}
            for page in paginator.paginate(**kwargs, Segment=segment, TotalSegments=segments, **limit):
                if stop.is_set():
                    return
                pages.put(page.get("Items", []))
        except BaseException as exc:  # handed to the writer's thread, which raises it
            errors.append(exc)
        finally:
            pages.put(_DONE)

    readers = [threading.Thread(target=read, args=(s,), name=f"export-scan-{s}", daemon=True)
               for s in range(segments)]
    for reader in readers:
        reader.start()
    finished = 0
    try:
        while finished < segments:
            got = pages.get()
            if got is _DONE:
                finished += 1
                if errors:
                    raise errors[0]
                continue
            yield from got
    finally:
        stop.set()
        while any(reader.is_alive() for reader in readers):  # unblock readers waiting to put a page
            try:
                pages.get(timeout=0.05)
            except queue.Empty:
                pass


def scan_arguments(petition_id: str, kind: Kind) -> dict:
    values: dict[str, Any] = {":p": {"S": petition_id}, ":counted": {"S": SignatureStatus.CONFIRMED}}
    if kind == Kind.UPDATES:
        values[":yes"] = {"BOOL": True}
    return {"TableName": config.settings().signatures_table, "ProjectionExpression": _PROJECTION[kind],
            "FilterExpression": _FILTER[kind], "ExpressionAttributeNames": _NAMES[kind],
            "ExpressionAttributeValues": values}


def rows(petition_id: str, kind: Kind, segments: int = DEFAULT_SEGMENTS,
         page_items: int | None = PAGE_ITEMS) -> Iterator[dict[str, Any]]:
    """The export's rows, as the Scan finds them (signatures and updates only)."""
    for item in scan(scan_arguments(petition_id, kind), segments, page_items=page_items):
        row = signature_row(item) if kind == Kind.SIGNATURES else updates_row(item)
        if row is not None:
            yield row


def write(petition_id: str, kind: Kind | str, out: IO[str], fmt: Format | str = Format.CSV,
          segments: int = DEFAULT_SEGMENTS, page_items: int | None = PAGE_ITEMS) -> Result:
    """Write one export of a petition to a text stream (open it with ``newline=""``)."""
    kind, fmt = Kind(kind), Format(fmt)
    snapshot_at = clock.stamp()
    totals.reset()  # the summary is the figures now, not a cached read
    figures = totals.read(petition_id)
    if figures is None:
        raise UnknownPetition(petition_id)
    writer = RowWriter(out, COLUMNS[kind], fmt)
    if kind == Kind.SUMMARY:
        writer.write_all(summary_rows(figures, snapshot_at))
    else:
        writer.write_all(rows(petition_id, kind, segments, page_items))
    return Result(petition_id, kind, fmt, writer.rows, snapshot_at)
