"""The sign route's answers to a form post: a redirect to the thanks page, or the form again with its errors."""
from __future__ import annotations

from chalice import Response

from chalicelib.i18n import gettext as _
from chalicelib.petition_pages import views
from chalicelib.petitions import catalog
from chalicelib.sharing import embed
from chalicelib.signing import intake
from chalicelib.signing.intake import OutcomeKind
from chalicelib.web import pages, responses, security_headers


def as_page(outcome: intake.Outcome, prefix: str, accept: str) -> Response:
    """A form posted from the sign page."""
    petition = outcome.petition
    if outcome.kind == OutcomeKind.ACCEPTED and petition is not None:
        return responses.see_other(petition.thanks_url or views.thanks_path(prefix, petition.petition_id))
    if outcome.kind == OutcomeKind.INVALID and petition is not None:
        page = views.sign_page(catalog.public_view(petition), prefix,
                               fields=outcome.fields, errors=outcome.errors)
        policy = security_headers.for_petition_page(petition.thanks_url, petition.image_url, bool(petition.challenge))
        return responses.html(outcome.status, page, cache=responses.NO_STORE, headers=policy)
    if "text/html" in accept:
        page = pages.render("message.html", heading=_("We couldn't take your signature"),
                            message=outcome.message)
        return responses.html(outcome.status, page, cache=responses.NO_STORE)
    return responses.error(outcome.status, outcome.message)


def in_embed(outcome: intake.Outcome, prefix: str) -> Response:
    """The embed's form post: its answers stay inside the partner's frame."""
    petition = outcome.petition
    if petition is None:
        return as_page(outcome, prefix, "text/html")
    allowed = security_headers.for_embed_page(petition.embed_origins or [], petition.image_url,
                                              bool(petition.challenge))
    if outcome.kind == OutcomeKind.ACCEPTED:
        return responses.see_other(embed.path(prefix, petition.petition_id, signed="1"), allowed)
    page = embed.page(catalog.public_view(petition), prefix, fields=outcome.fields, errors=outcome.errors)
    return responses.html(outcome.status, page, cache=responses.NO_STORE, headers=allowed)
