"""The deployed export operation: one export into the private bucket, and a link to it that expires in an hour.

Invoked as its own function (from the CLI, ``aws lambda invoke``, or the
admin area) with ``{"petition_id": ..., "kind": "summary|signatures|updates",
"format": "csv|jsonl"}`` (the admin area adds ``actor`` and the ``key`` it
will look for the file under, since it starts the function without waiting).
The rows stream into a file in the function's temporary storage (never the
whole list in memory), which is uploaded to the bucket (encrypted at rest, no
public access, objects expire after a few days: see infra/resources.json) and
presigned for one hour. Every export is written to the audit log: who asked,
which petition and kind, how many rows.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.audit import trail
from chalicelib.aws import clients, config
from chalicelib.petitions import catalog
from chalicelib.rights import export
from chalicelib.rights.spreadsheet import Format

log = logging.getLogger(__name__)

LINK_SECONDS = 3600
CONTENT_TYPES = {Format.CSV: "text/csv; charset=utf-8", Format.JSONL: "application/x-ndjson; charset=utf-8"}


class Refused(ValueError):
    """The request names no petition, kind or format we know: the caller's to fix."""


def parse(event: dict) -> tuple[str, export.Kind, Format, str]:
    if not isinstance(event, dict):
        raise Refused("send a JSON object: {\"petition_id\": ..., \"kind\": ..., \"format\": ...}")
    petition_id = event.get("petition_id")
    if not isinstance(petition_id, str) or not catalog.valid_id(petition_id):
        raise Refused("petition_id: give the id of a petition")
    try:
        kind = export.Kind(event.get("kind", ""))
    except ValueError:
        raise Refused("kind: one of " + ", ".join(export.Kind)) from None
    try:
        fmt = Format(event.get("format") or Format.CSV)
    except ValueError:
        raise Refused("format: one of " + ", ".join(Format)) from None
    given = event.get("actor")
    actor = given if isinstance(given, str) and given else "export operation"
    return petition_id, kind, fmt, actor


def parse_key(event: dict, petition_id: str, kind: export.Kind, fmt: Format) -> str | None:
    """The object key a caller chose (the admin area, to find the file later); None to name it here."""
    key = event.get("key") if isinstance(event, dict) else None
    if key is None:
        return None
    name = key.rsplit("/", 1)[-1] if isinstance(key, str) else ""
    if not (isinstance(key, str) and key == f"exports/{petition_id}/{name}" and file_kind(name) == (kind, fmt)):
        raise Refused("key: exports/<petition>/<time>-<kind>.<format>, as object_key names it")
    return key


NAME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z-([a-z]+)\.([a-z]+)$")


def file_kind(name: str) -> tuple[export.Kind, Format] | None:
    """The kind and format an export's file name says, or None for a name no export has."""
    found = NAME.match(name or "")
    if not found:
        return None
    try:
        return export.Kind(found.group(1)), Format(found.group(2))
    except ValueError:
        return None


def object_key(petition_id: str, kind: export.Kind, fmt: Format, snapshot_at: str) -> str:
    return f"exports/{petition_id}/{snapshot_at.replace(':', '')}-{kind}.{fmt}"


def presign(key: str) -> str:
    """A link to an export's file that works for LINK_SECONDS."""
    return clients.s3().generate_presigned_url("get_object", Params={"Bucket": config.settings().export_bucket,
                                                                 "Key": key}, ExpiresIn=LINK_SECONDS)


def run(petition_id: str, kind: export.Kind, fmt: Format, actor: str, segments: int = export.DEFAULT_SEGMENTS,
        directory: str | None = None, key: str | None = None) -> dict[str, Any]:
    bucket = config.settings().export_bucket
    if not bucket:
        raise RuntimeError("set EXPORT_BUCKET: deployed exports go to the stack's private bucket")
    with tempfile.NamedTemporaryFile("w+", encoding="utf-8", newline="", suffix=f".{fmt}", dir=directory) as out:
        result = export.write(petition_id, kind, out, fmt, segments)
        out.flush()
        key = key or object_key(petition_id, kind, fmt, result.snapshot_at)
        filename = f"{petition_id}-{os.path.basename(key)}"
        clients.s3().upload_file(out.name, bucket, key, ExtraArgs={
            "ContentType": CONTENT_TYPES[fmt], "ContentDisposition": f'attachment; filename="{filename}"'})
    url = presign(key)
    trail.record(actor, f"export {kind}", petition_id, None,
                 {"kind": str(kind), "format": str(fmt), "rows": result.rows, "object": key})
    log.info("export written petition=%s kind=%s format=%s rows=%d", petition_id, kind, fmt, result.rows)
    return {"url": url, "expires_in": LINK_SECONDS, "rows": result.rows, "key": key,
            "snapshot_at": result.snapshot_at, "kind": str(kind), "format": str(fmt)}


def handle(event: dict) -> dict[str, Any]:
    """The function's entry point: an answer for every request, an error message for a bad one."""
    try:
        petition_id, kind, fmt, actor = parse(event)
        return run(petition_id, kind, fmt, actor, key=parse_key(event, petition_id, kind, fmt))
    except Refused as exc:
        return {"error": str(exc)}
    except export.UnknownPetition:
        return {"error": "There is no petition with this id."}
    except (BotoCoreError, ClientError) as exc:
        log.error("export failed error=%s", clients.error_code(exc))
        raise  # a storage failure: Lambda reports it, and the caller may run it again
