"""The site's own files: the privacy notice and the static assets every page loads."""
from __future__ import annotations

from chalice import Response

from chalicelib.i18n import gettext as _
from chalicelib.web import pages, responses
from chalicelib.web.routing import Routes

routes = Routes(__name__)


@routes.route("/privacy", methods=["GET"])
def privacy_page():
    return responses.html(200, pages.privacy_page(routes.prefix()), cache=responses.PRIVACY_CACHE)


@routes.route("/static/{name}", methods=["GET"])
def static_file(name):
    found = pages.asset(name)
    if found is None:
        return responses.error(404, _("There is no such file."))
    return Response(body=found.body, status_code=200,
                    headers={"Content-Type": found.content_type, "Cache-Control": pages.STATIC_CACHE})
