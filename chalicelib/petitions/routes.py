"""A petition as data: its public JSON, and the totals the dashboard polls (one read, an ETag, cacheable)."""
from __future__ import annotations

from chalicelib.i18n import gettext as _
from chalicelib.petitions import catalog, figures
from chalicelib.tally import totals
from chalicelib.web import outages, responses
from chalicelib.web.routing import Routes

routes = Routes(__name__)


@routes.route("/petitions/{petition_id}", methods=["GET"])
@outages.json
def petition_info(petition_id):
    petition = catalog.load(petition_id)
    if petition is None:
        return responses.error(404, _("There is no petition with this id."))
    return responses.json_response(200, catalog.public_view(petition))


@routes.route("/petitions/{petition_id}/totals", methods=["GET"])
@outages.json
def petition_totals(petition_id):
    found = figures.of_id(petition_id)
    if found is None:
        return responses.error(404, _("There is no petition with this id."), responses.PUBLIC)
    return responses.cacheable_json(found, totals.etag(found), routes.request.headers.get("if-none-match"))
