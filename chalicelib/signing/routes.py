"""The sign route: a form or JSON post in, one conditional write, an answer in the asker's kind."""
from __future__ import annotations

from chalicelib.fraud import identity
from chalicelib.petitions import catalog
from chalicelib.sharing import embed
from chalicelib.signing import intake, replies
from chalicelib.signing.intake import OutcomeKind
from chalicelib.web import bodies, responses
from chalicelib.web.routing import ANY, Routes

routes = Routes(__name__)


@routes.route("/petitions/{petition_id}/signatures", methods=["POST"], content_types=ANY)
def sign(petition_id):
    request = routes.request
    outcome = intake.receive(petition_id, request.raw_body, request.headers.get("content-type"),
                             client=identity.of_request(request))
    as_form = outcome.media_type == bodies.FORM and not responses.wants_json(request.headers.get("accept"))
    if as_form and embed.FLAG in routes.query():
        return replies.in_embed(outcome, routes.prefix())
    if as_form:
        return replies.as_page(outcome, routes.prefix(), request.headers.get("accept", ""))
    cors = responses.cors_for_allowed(request.headers.get("origin"))
    if outcome.kind == OutcomeKind.ACCEPTED:
        return responses.json_response(outcome.status, {"status": "received", "petition_id": petition_id,
                                                        "confirmation_required": outcome.confirmation_required}, cors)
    if outcome.kind == OutcomeKind.INVALID:
        return responses.json_response(outcome.status, {"errors": outcome.errors}, cors)
    return responses.error(outcome.status, outcome.message, cors)


@routes.route("/petitions/{petition_id}/signatures", methods=["OPTIONS"])
def sign_preflight(petition_id):
    if not catalog.valid_id(petition_id):  # no read: an id of the wrong shape names no petition
        return responses.error(404, "There is no petition with this id.")
    return responses.preflight(routes.request.headers.get("origin"), "POST, OPTIONS")
