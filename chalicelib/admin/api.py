"""The admin JSON API: the same operations as the pages, under the same session (CSRF in ``X-CSRF-Token``)."""
from __future__ import annotations

import logging

from chalice import Response

from chalicelib.admin import guard, operations, source_figures
from chalicelib.audit import trail
from chalicelib.aws.models import PetitionStatus

log = logging.getLogger(__name__)


@guard.guarded(api=True)
def api_session(request, session) -> Response:
    return guard.json_answer(200, {"email": session.email, "csrf_token": session.csrf_token})


@guard.guarded(api=True)
def api_list(request, session) -> Response:
    return guard.json_answer(200, {"petitions": operations.overview()})


@guard.guarded(api=True)
def api_create(request, session) -> Response:
    body = guard.read_json(request)
    status = body.pop("status", PetitionStatus.DRAFT)
    if status not in (PetitionStatus.DRAFT, PetitionStatus.OPEN):
        return guard.json_answer(422, {"errors": {"status": "A new petition is a draft or open."}})
    try:
        after = operations.create(session.email, body, PetitionStatus(status))
    except operations.Problems as problems:
        return guard.json_answer(422, {"errors": problems.errors})
    except operations.Exists:
        return guard.json_answer(409, {"error": "A petition with this id exists already."})
    return guard.json_answer(201, after)


@guard.guarded(api=True)
def api_petition(request, session, petition_id: str) -> Response:
    try:
        fields, figures = operations.details(petition_id)
    except operations.NotFound:
        return guard.json_answer(404, {"error": "There is no petition with this id."})
    return guard.json_answer(200, {"petition": fields, "figures": figures,
                                   "campaign": source_figures.for_petition(petition_id, fields.get("sources"))})


@guard.guarded(api=True)
def api_update(request, session, petition_id: str) -> Response:
    body = guard.read_json(request)
    try:
        after = operations.update(session.email, petition_id, body)
    except operations.NotFound:
        return guard.json_answer(404, {"error": "There is no petition with this id."})
    except operations.Problems as problems:
        return guard.json_answer(422, {"errors": problems.errors})
    return guard.json_answer(200, after)


@guard.guarded(api=True)
def api_status(request, session, petition_id: str) -> Response:
    change = guard.read_json(request).get("change")
    if change not in operations.store.TRANSITIONS:
        return guard.json_answer(422, {"errors": {"change": "One of open, close, reopen."}})
    try:
        after = operations.change_status(session.email, petition_id, change)
    except operations.NotFound:
        return guard.json_answer(404, {"error": "There is no petition with this id."})
    except operations.WrongState as problem:
        return guard.json_answer(409, {"error": str(problem)})
    return guard.json_answer(200, after)


@guard.guarded(api=True)
def api_audit(request, session) -> Response:
    return guard.json_answer(200, {"entries": [entry.as_json() for entry in trail.latest(200)]})
