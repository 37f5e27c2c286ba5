"""OSDI: the petition resource and its record-signature helper, for organising tools that speak it."""
from __future__ import annotations

from chalicelib.aws import config
from chalicelib.i18n import gettext as _
from chalicelib.osdi import resources
from chalicelib.petitions import catalog, figures
from chalicelib.signing import intake
from chalicelib.signing.intake import OutcomeKind
from chalicelib.web import bodies, outages, responses
from chalicelib.web.routing import ANY, Routes

routes = Routes(__name__)


def _base() -> str:
    return config.settings().public_base_url or routes.prefix()


@routes.route("/osdi/v1/petitions/{petition_id}", methods=["GET"])
@outages.json
def osdi_petition(petition_id):
    petition, found = catalog.load(petition_id), figures.of_id(petition_id)
    if petition is None or found is None:
        return responses.error(404, _("There is no petition with this id."))
    body = resources.petition_resource(catalog.public_view(petition), int(found["total"]), _base())
    return responses.json_response(200, body, {"Content-Type": resources.MEDIA_TYPE})


@routes.route("/osdi/v1/petitions/{petition_id}/signatures", methods=["POST"], content_types=ANY)
def osdi_record_signature(petition_id):
    request = routes.request
    try:
        fields = resources.signature_fields(request.raw_body, request.headers.get("content-type"))
    except bodies.BodyError as problem:
        return responses.error(problem.status, problem.translated())
    outcome = intake.receive(petition_id, resources.as_json(fields), "application/json")
    if outcome.kind == OutcomeKind.ACCEPTED:
        return responses.json_response(202, {
            "status": "received", "confirmation_required": outcome.confirmation_required,
            "_links": {"osdi:petition": {"href": f"{_base()}/osdi/v1/petitions/{petition_id}"}}},
            {"Content-Type": resources.MEDIA_TYPE})
    if outcome.kind == OutcomeKind.INVALID:
        return responses.json_response(outcome.status, {"errors": outcome.errors})
    return responses.error(outcome.status, outcome.message)
