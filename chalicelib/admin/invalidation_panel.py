"""The admin petition page's invalidation panel: criteria, a preview by country, then apply in bounded chunks.

The same operations as `make invalidate` and `make revalidate`
(chalicelib/fraud/invalidation.py), from the browser:

1. the form on the petition page (``admin/_invalidation.html``) posts the
   criteria to **preview**, which counts the matching signatures by country
   (no personal data: countries and counts only) and audits the preview;
2. its button posts the same criteria to **apply**, which changes them at
   the tool's bounded rate for as long as one request may take
   (``APPLY_SECONDS``, well inside the API function's 10 s), then says how
   many it changed and, when more may remain, offers **Continue**: the same
   post again. Each chunk is audited like a run of the tool; what is already
   done is skipped by the updates' conditions, so Continue (or a second tab,
   or the tool) never changes a signature twice.

Every POST carries this session's CSRF token (``web.guarded``).
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from chalice import Response

from chalicelib.admin import guard
from chalicelib.fraud import invalidation
from chalicelib.fraud.invalidation import BadCriteria, Criteria, Direction
from chalicelib.i18n import countries
from chalicelib.petitions import store

# How long one request spends changing signatures: the API function has 10 s, and the
# scan page in flight, the audit record and the answer need the rest.
APPLY_SECONDS = 6.0
FIELDS = ("ip", "ip_hash", "domain", "country", "since", "until", "source")
DIRECTIONS = {str(d): d for d in Direction}


def _values(form: dict) -> dict[str, str]:
    """The criteria as typed (echoed into the form and the hidden fields of the next step)."""
    values = {name: (form.get(name) or "").strip() for name in FIELDS}
    values["direction"] = form.get("direction") if form.get("direction") in DIRECTIONS else str(Direction.INVALIDATE)
    return values


def _criteria(petition_id: str, values: dict[str, str]) -> invalidation.Criteria:
    if values["ip"] and values["ip_hash"]:
        raise BadCriteria("Give a client address or its hash, not both.")
    if values["country"] and not countries.is_country(values["country"].upper()):
        raise BadCriteria("Give the country as its two-letter code, like GB.")
    given = {name: values[name] or None for name in ("ip_hash", "domain", "country", "since", "until", "source")}
    return invalidation.criteria_with_address(petition_id, values["ip"] or None, **given)


def _page(request, session, petition, status: int, **context) -> Response:
    return guard.page(status, "invalidation.html", request, session=session, petition=petition,
                      names=countries.names(), **context)


def _petition_or_404(request, petition_id: str):
    petition = store.get(petition_id)
    if petition is None:
        return None, guard.message_page(request, 404, "No such petition", "There is no petition with this id.")
    return {"petition_id": petition.petition_id, "title": petition.title}, None


@dataclass(frozen=True)
class _Asked:
    """A valid request of the panel: the petition, the criteria as typed and as checked, the direction."""

    petition: dict
    values: dict
    criteria: Criteria
    direction: Direction


def _asked(request, session, petition_id: str, form: dict) -> _Asked | Response:
    """The petition and criteria a POST names, or the answer to give instead (404, or the form with its error)."""
    petition, missing = _petition_or_404(request, petition_id)
    if missing is not None:
        return missing
    values = _values(form)
    try:
        criteria = _criteria(petition_id, values)
    except BadCriteria as problem:
        return _page(request, session, petition, 422, invalidation_values=values, error=str(problem))
    return _Asked(petition, values, criteria, DIRECTIONS[values["direction"]])


@guard.guarded(api=False)
def preview(request, session, petition_id: str, form: dict) -> Response:
    asked = _asked(request, session, petition_id, form)
    if isinstance(asked, Response):
        return asked
    petition, values, criteria, direction = asked.petition, asked.values, asked.criteria, asked.direction
    counts = invalidation.preview(criteria, direction)
    invalidation.record_preview(criteria, direction, session.email, counts)
    return _page(request, session, petition, 200, invalidation_values=values, direction=str(direction),
                 counts=counts.most_common(), matching=sum(counts.values()))


@guard.guarded(api=False)
def apply(request, session, petition_id: str, form: dict) -> Response:
    asked = _asked(request, session, petition_id, form)
    if isinstance(asked, Response):
        return asked
    petition, values, criteria, direction = asked.petition, asked.values, asked.criteria, asked.direction
    started = time.monotonic()
    progress = invalidation.apply(criteria, direction, session.email, rate=invalidation.DEFAULT_RATE,
                                  time_left=lambda: APPLY_SECONDS - (time.monotonic() - started), stop_seconds=0)
    try:
        before = max(0, int(form.get("done") or 0))
    except ValueError:
        before = 0
    done = before + progress.changed
    return _page(request, session, petition, 200, invalidation_values=values, direction=str(direction),
                 applied=progress, done=done, by_country=Counter(progress.by_country).most_common(),
                 rate=invalidation.DEFAULT_RATE, seconds=round(APPLY_SECONDS))
