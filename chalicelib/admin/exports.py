"""The admin petition page's export buttons: summary, signatures or updates, as CSV or JSON Lines.

A button POSTs (with the session's CSRF token) and is answered with a 303 to
the export's own address, ``/admin/petitions/<id>/exports/<file name>``,
which only a signed-in admin can open and which is never cached:

- deployed (``EXPORT_FUNCTION`` and ``EXPORT_BUCKET`` set), the POST starts
  the export function without waiting for it (an asynchronous invoke: a
  large petition's export takes minutes, longer than any API request may),
  naming the object it is to write. The export's address then answers with
  a page saying it is being prepared until the object is in the private
  bucket, and after that with a 303 to a presigned link that works for one
  hour. The function writes the audit record (who, which petition and kind,
  how many rows) as it does when run from the CLI;
- under ``make run`` (``EXPORT_DIR`` set: there is no S3 locally) the POST
  writes the file into that directory before answering, records it in the
  audit log, and the export's address serves the file itself.

Neither kind of address, nor any answer here, carries personal data; the
file's contents are what ``rights/export.py`` writes.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from botocore.exceptions import ClientError
from chalice import Response

from chalicelib.admin import guard
from chalicelib.audit import trail
from chalicelib.aws import clients, clock, config
from chalicelib.petitions import catalog, store
from chalicelib.rights import delivery, export
from chalicelib.rights.spreadsheet import Format

log = logging.getLogger(__name__)

KINDS = [(export.Kind.SUMMARY, "Summary (per country)"), (export.Kind.SIGNATURES, "Signatures (delivery list)"),
         (export.Kind.UPDATES, "Campaign updates (CRM list)")]
FORMATS = [(Format.CSV, "CSV"), (Format.JSONL, "JSON Lines")]


def mode() -> str | None:
    """``deployed``, ``local``, or None when this stage has neither a bucket and function nor a directory."""
    s = config.settings()
    if s.export_function and s.export_bucket:
        return "deployed"
    if s.export_dir:
        return "local"
    return None


def _choice(form: dict) -> tuple[export.Kind, Format] | None:
    try:
        return export.Kind(form.get("kind", "")), Format(form.get("format") or Format.CSV)
    except ValueError:
        return None


def _local_path(petition_id: str, name: str) -> Path:
    return Path(config.settings().export_dir or ".") / petition_id / name


@guard.guarded(api=False)
def start(request, session, petition_id: str, form: dict) -> Response:
    """POST: start one export (deployed) or write it (locally), then send the admin to its address."""
    chosen = _choice(form)
    if chosen is None:
        return guard.message_page(request, 422, "Choose an export",
                                  "Choose summary, signatures or updates, as CSV or JSON Lines.")
    kind, fmt = chosen
    if store.get(petition_id) is None:  # drafts and closed petitions export too
        return guard.message_page(request, 404, "No such petition", "There is no petition with this id.")
    how = mode()
    if how is None:
        return guard.message_page(request, 503, "Exports are not set up here",
                                  "This stage has no export bucket and function (deployed) or export directory "
                                  "(make run). Use make export on a machine that can reach the tables.")
    key = delivery.object_key(petition_id, kind, fmt, clock.stamp())
    name = key.rsplit("/", 1)[-1]
    if how == "deployed":
        clients.lambda_client().invoke(
            FunctionName=config.settings().export_function, InvocationType="Event",
            Payload=json.dumps({"petition_id": petition_id, "kind": str(kind), "format": str(fmt),
                                "actor": session.email, "key": key}).encode())
        log.info("export started petition=%s kind=%s format=%s", petition_id, kind, fmt)
    else:
        path = _local_path(petition_id, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("w", encoding="utf-8", newline="") as out:
                result = export.write(petition_id, kind, out, fmt)
        except export.UnknownPetition:
            path.unlink(missing_ok=True)
            return guard.message_page(request, 404, "No such petition", "There is no petition with this id.")
        trail.record(session.email, f"export {kind}", petition_id, None,
                     {"kind": str(kind), "format": str(fmt), "rows": result.rows, "file": name})
        log.info("export written locally petition=%s kind=%s format=%s rows=%d", petition_id, kind, fmt,
                 result.rows)
    return guard.see_other(request, f"/admin/petitions/{petition_id}/exports/{name}")


def _waiting(request, session, petition_id: str, name: str) -> Response:
    response = guard.page(200, "exports_waiting.html", request, session=session, petition_id=petition_id, name=name)
    response.headers["Refresh"] = "5"  # reload until the file is there
    return response


@guard.guarded(api=False)
def fetch(request, session, petition_id: str, name: str) -> Response:
    """GET: the export's file (locally), its one-hour link once it is written (deployed), or a page to wait on."""
    chosen = delivery.file_kind(name)
    if chosen is None or not catalog.valid_id(petition_id):
        return guard.message_page(request, 404, "No such export", "There is no export at this address.")
    how = mode()
    if how == "deployed":
        key = f"exports/{petition_id}/{name}"
        try:
            clients.s3().head_object(Bucket=config.settings().export_bucket, Key=key)
        except ClientError as exc:
            if clients.error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return _waiting(request, session, petition_id, name)
            raise
        return Response(body="", status_code=303, headers={"Location": delivery.presign(key),
                                                           "Cache-Control": guard.NO_STORE,
                                                           "Referrer-Policy": "no-referrer"})
    path = _local_path(petition_id, name)
    if how is None or not path.is_file():
        return guard.message_page(request, 404, "No such export", "There is no export at this address (local exports "
                                  "live in the export directory of the running stack).")
    _kind, fmt = chosen
    return Response(body=path.read_text(encoding="utf-8"), status_code=200, headers={
        "Content-Type": delivery.CONTENT_TYPES[fmt], "Cache-Control": guard.NO_STORE,
        "Content-Disposition": f'attachment; filename="{petition_id}-{name}"'})
