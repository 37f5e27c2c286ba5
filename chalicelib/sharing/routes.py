"""Reach beyond the campaign's own pages: the embeddable form, the badge and the share card."""
from __future__ import annotations

from chalicelib.i18n import countries
from chalicelib.i18n import gettext as _
from chalicelib.petitions import catalog, figures
from chalicelib.sharing import badge, card, embed
from chalicelib.web import outages, pages, responses, security_headers
from chalicelib.web.routing import Routes

routes = Routes(__name__)


@routes.route("/petitions/{petition_id}/embed", methods=["GET"])
@routes.outage_page
def embed_form(petition_id):
    prefix = routes.prefix()
    petition = catalog.load(petition_id)
    if petition is None:
        return responses.html(404, pages.not_found(prefix), cache=responses.NO_STORE)
    view = catalog.public_view(petition)
    query = routes.query()
    signed = query.get("signed") == "1"
    page = embed.page(view, prefix, signed=signed, total=(figures.of(view) or {}).get("total"),
                      fields={"source": query.get("source", "")})
    return responses.html(200, page, cache=responses.NO_STORE if signed else responses.SHARED_PAGE_CACHE,
                          headers=security_headers.for_embed_page(petition.embed_origins or [], petition.image_url,
                                                                  bool(petition.challenge) and not signed))


@routes.route("/petitions/{petition_id}/badge.svg", methods=["GET"])
@outages.json
def petition_badge(petition_id):
    asked = routes.query().get("country")  # present but empty is a mistake too, not "no country"
    country = asked.strip().upper() if asked is not None else None
    if country is not None and not countries.is_country(country):
        return responses.error(400, _("Give a country as its two-letter code, like GB."), responses.PUBLIC)
    petition, found = catalog.load(petition_id), figures.of_id(petition_id)
    if petition is None or found is None:
        return responses.error(404, _("There is no petition with this id."), responses.PUBLIC)
    body = badge.svg(catalog.public_view(petition), found, country)
    return responses.cacheable(body, "image/svg+xml; charset=utf-8", badge.etag(body),
                               routes.request.headers.get("if-none-match"))


@routes.route("/petitions/{petition_id}/card.png", methods=["GET"])
@outages.json
def share_card(petition_id):
    """The share card's image: drawn at most once a minute (chalicelib/sharing/card.py)."""
    petition, found = catalog.load(petition_id), figures.of_id(petition_id)
    if petition is None or found is None:
        return responses.error(404, _("There is no petition with this id."), responses.PUBLIC)
    drawn = card.card(catalog.public_view(petition), int(found["total"]))
    response = responses.cacheable(drawn.png, "image/png", drawn.etag, routes.request.headers.get("if-none-match"))
    response.headers["Cache-Control"] = card.CACHE
    return response
