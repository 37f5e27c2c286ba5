"""Reading a request's body: one reader, with one size limit per kind of route.

A body that cannot be read at all (too large, a type we do not take, not UTF-8, not a JSON object) is a
``BodyError`` whose status and message the route answers with; fields that are readable but wrong are each
feature's own rules. Pure functions over bytes; nothing here touches AWS.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs

from chalicelib.i18n import N_
from chalicelib.i18n import gettext as _

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

# A signature, a mailed link's button or an OSDI record: a few fields.
SIGNER_LIMIT = 16 * 1024
# The admin's petition forms carry a whole campaign page (body, asks, translations).
ADMIN_LIMIT = 64 * 1024


class BodyError(Exception):
    """A body that cannot be read at all (as opposed to invalid fields)."""

    def __init__(self, status: int, message: str, **params):
        super().__init__(message % params if params else message)
        self.status = status
        self.message = message % params if params else message
        self._source = message
        self._params = params

    def translated(self) -> str:
        return _(self._source, **self._params)


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def read(raw: bytes | str | None, content_type: str | None, *, limit: int = SIGNER_LIMIT) -> dict:
    """Decode a JSON or form body into a dict of fields, or raise BodyError."""
    _sized(raw, limit)  # the size first: a huge body of any type is a 413
    kind = media_type(content_type)
    if kind == FORM:
        return read_form(raw, limit=limit)
    if kind != JSON:
        raise BodyError(415, N_("Send the signature as application/json or application/x-www-form-urlencoded."))
    return read_json(raw, limit=limit)


def read_form(raw: bytes | str | None, *, limit: int) -> dict:
    """A form body's fields (the first value of a repeated field)."""
    try:
        pairs = parse_qs(_text(raw, limit), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BodyError(400, N_("The form data is not valid UTF-8.")) from None
    return {field: values[0] for field, values in pairs.items()}


def read_json(raw: bytes | str | None, *, limit: int) -> dict:
    """A JSON body, which must be an object."""
    text = _text(raw, limit)
    try:
        data = json.loads(text) if text.strip() else None
    except (ValueError, RecursionError):
        raise BodyError(400, N_("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise BodyError(400, N_("The request body must be a JSON object of fields."))
    try:
        # JSON may escape lone surrogates (\ud800), which are not text at all.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BodyError(400, N_("The request body contains characters that are not valid Unicode.")) from None
    return data


def _sized(raw: bytes | str | None, limit: int) -> bytes:
    if isinstance(raw, str):  # Chalice's type allows text; the body is bytes in practice
        raw = raw.encode("utf-8")
    raw = raw or b""
    if len(raw) > limit:
        raise BodyError(413, N_("The request body is larger than %(kb)s KB."), kb=limit // 1024)
    return raw


def _text(raw: bytes | str | None, limit: int) -> str:
    try:
        return _sized(raw, limit).decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(400, N_("The request body is not valid UTF-8.")) from None
