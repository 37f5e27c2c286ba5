"""The Open Supporter Data Interface (OSDI 1.x) petition resource and its record-signature helper.

Campaign tools that speak OSDI (Action Network and others) can read a
petition's total and record a signature they collected. The helper maps an
OSDI ``person`` onto the ordinary sign path: the same rules, the same
dedupe, the same one write. OSDI has no consent field: a tool that records a
signature through the helper has collected the person's signature, and with
it their agreement to be counted, on its own form (that is what the helper is
for), so the mapped signature carries ``consent``.
"""
from __future__ import annotations

import json

from chalicelib.i18n import N_
from chalicelib.web import bodies

MEDIA_TYPE = "application/hal+json"
ORIGIN = "Countersign"


def petition_resource(view: dict, total: int, base: str) -> dict:
    """A petition as OSDI's petition resource, with HAL links under ``base`` (the API's address)."""
    own = f"{base}/osdi/v1/petitions/{view['petition_id']}"
    return {
        "identifiers": [f"countersign:{view['petition_id']}"],
        "origin_system": ORIGIN,
        "title": view["title"],
        "description": view["summary"],
        "petition_text": view["body"],
        "summary": view["summary"],
        "total_signatures": total,
        "target": [{"name": ask} for ask in view["asks"]],
        "browser_url": f"{base}/petitions/{view['petition_id']}/sign",
        "_links": {
            "self": {"href": own},
            "osdi:record_signature_helper": {"href": f"{own}/signatures"},
        },
    }


class NotAPerson(bodies.BodyError):
    """A helper body without the OSDI ``person`` we need."""


WRONG_TYPE = N_("In the OSDI person, %(field)s is not of the type OSDI gives it.")


def _typed(value, kind: type, field: str):
    """``value`` when absent or of ``kind``; a 400 naming the field otherwise (a field we ignore would hide it)."""
    if value is not None and not isinstance(value, kind):
        raise NotAPerson(400, WRONG_TYPE, field=field)
    return value


def _first(items, key: str, field: str) -> str | None:
    found = None
    for position, item in enumerate(_typed(items, list, field) or []):
        if not isinstance(item, dict):
            raise NotAPerson(400, WRONG_TYPE, field=f"{field}[{position}]")
        value = _typed(item.get(key), str, f"{field}[{position}].{key}")
        if found is None and value is not None:
            found = value
    return found


def signature_fields(raw: bytes | str, content_type: str | None) -> dict:
    """The sign path's fields from a helper body, or raise a BodyError (413, 415, 400) in the signer's words."""
    if bodies.media_type(content_type) not in (bodies.JSON, MEDIA_TYPE):
        raise bodies.BodyError(415, N_("Send the signature as application/json or application/hal+json."))
    body = bodies.read(raw, bodies.JSON)
    person = body.get("person")
    if not isinstance(person, dict):
        raise NotAPerson(400, N_("Send an OSDI person object in the field person."))
    names = [_typed(person.get(k), str, k) for k in ("given_name", "family_name")]
    name = " ".join(n.strip() for n in names if n and n.strip())
    postal = person.get("postal_addresses")
    source = _typed(body.get("source"), str, "source")
    return {
        "name": name,
        "email": _first(person.get("email_addresses"), "address", "email_addresses") or "",
        "country": _first(postal, "country", "postal_addresses") or "",
        "postcode": _first(postal, "postal_code", "postal_addresses") or "",
        "consent": True,
        "updates_opt_in": False,
        "source": source if source is not None else "osdi",
    }


def as_json(fields: dict) -> bytes:
    return json.dumps(fields).encode("utf-8")
