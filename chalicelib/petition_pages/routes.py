"""The public petition pages: the list of open petitions, the sign page, the thanks page and the dashboard."""
from __future__ import annotations

from chalicelib.petition_pages import views
from chalicelib.petitions import catalog, figures
from chalicelib.sharing import embed, links
from chalicelib.web import pages, responses, security_headers
from chalicelib.web.routing import Routes

routes = Routes(__name__)


@routes.route("/", methods=["GET"])
@routes.outage_page
def index_page():
    open_petitions = [catalog.public_view(p) for p in catalog.list_open()]
    return responses.html(200, views.index_page(open_petitions, routes.prefix()), cache=responses.SHARED_PAGE_CACHE)


@routes.route("/petitions/{petition_id}/sign", methods=["GET"])
@routes.outage_page
def sign_page(petition_id):
    headers = routes.request.headers
    source = routes.query().get("source")
    country = views.likely_country(headers.get("cloudfront-viewer-country"), headers.get("accept-language"))
    response = _petition_page(petition_id, responses.SHARED_PAGE_CACHE, lambda petition, prefix, share_url:
                              views.sign_page(petition, prefix, country=country, figures=figures.of(petition),
                                              share_url=share_url, fields={"source": source} if source else None),
                              form_page=True)
    # The preselected country depends on these: a cache in front must key on them.
    response.headers["Vary"] = responses.SIGN_PAGE_VARY
    return response


@routes.route("/petitions/{petition_id}/thanks", methods=["GET"])
@routes.outage_page
def thanks_page(petition_id):
    return _petition_page(petition_id, responses.NO_STORE, lambda petition, prefix, share_url: views.thanks_page(
        petition, prefix, figures=figures.of(petition), share_url=share_url,
        embed_snippet=embed.snippet(petition_id, petition["title"])))


@routes.route("/petitions/{petition_id}/dashboard", methods=["GET"])
@routes.outage_page
def dashboard_page(petition_id):
    return _petition_page(petition_id, responses.DASHBOARD_CACHE, lambda petition, prefix, share_url:
                          views.dashboard_page(petition, prefix, figures=figures.of(petition)))


def _petition_page(petition_id, cache, render, form_page=False):
    """Load the petition (404 page if none) and render one of its pages, cached as ``cache`` says.

    ``form_page``: the page with the sign form, which loads the challenge's widget when the petition has it on.
    """
    prefix = routes.prefix()
    petition = catalog.load(petition_id)
    if petition is None:
        return responses.html(404, pages.not_found(prefix), cache=responses.NO_STORE)
    policy = security_headers.for_petition_page(petition.thanks_url, petition.image_url,
                                                form_page and bool(petition.challenge))
    return responses.html(200, render(catalog.public_view(petition), prefix, links.share_url(petition_id)),
                          cache=cache, headers=policy)
