"""The signer's erasure pages: ask for a link, the link's page with one button, and the answer.

Every answer to the request form is the same whatever the address (only a
malformed address gets its own message, 422). The link's pages are private
to one signer: never cached, never indexed, no Referer (like the
confirmation link's). Storage failures answer 503 with a page, never a 500.
"""
from __future__ import annotations

import logging

from chalice import Response
from email_validator import EmailNotValidError, validate_email

from chalicelib import i18n
from chalicelib.aws import clients, config
from chalicelib.i18n import N_
from chalicelib.i18n import gettext as _
from chalicelib.identity import canonical_email
from chalicelib.links import pages as link_pages
from chalicelib.links.pages import Button, Link, Page
from chalicelib.links.steps import STATUS, Step
from chalicelib.petitions import catalog
from chalicelib.rights import erasure
from chalicelib.verification import tokens
from chalicelib.web import bodies, pages, responses

log = logging.getLogger(__name__)

INVALID_EMAIL = N_("Enter a valid email address, like name@example.com.")


def table() -> dict[Step, tuple[str, str]]:
    """Heading and message of each answer, in the request's language."""
    return {
        Step.ERASED: (_("Your signature has been removed"),
                      _("We have deleted your signature from this petition, and it is off the count within a few "
                        "seconds. We keep only a record that a signature was removed, and when: nothing about you.")),
        Step.GONE: (_("There is no signature to remove"),
                    _("We hold no signature for this link: it has been removed already, or it was never confirmed "
                      "and has expired.")),
        Step.BROKEN: (_("This removal link doesn't work"),
                      _("The link is incomplete or has been changed. Open it again from the email we sent you, or "
                        "ask for a new one.")),
        Step.EXPIRED: (_("This removal link has expired"), _("Links work for a day. Ask for a new one.")),
        **link_pages.common_texts(),
    }


def _button(petition: dict, token: str) -> Page:
    """The link's page: one button, which removes."""
    petition_id, title = petition["petition_id"], petition["title"]
    return Page(
        title=_("Remove your signature: %(title)s", title=title),
        heading=_("Remove your signature"),
        message=link_pages.marked(_("You are removing your signature from the petition <strong>%(title)s</strong>."),
                                  title=title),
        button=Button(f"/petitions/{petition_id}/remove/confirm?lang={i18n.current()}", _("Remove my signature"),
                      {"token": token},
                      note=_("Press the button and we delete your name, email address, country and postcode from "
                             "this petition, and take your signature off the count. This cannot be undone, but you "
                             "can sign again while the petition is open.")),
        links=[Link(f"/petitions/{petition_id}/sign", _("Keep my signature and go back to the petition"))])


def _result(step: Step, petition, prefix: str, message: str | None = None, status: int | None = None) -> Response:
    """An answer; a link that does not work offers a new one."""
    view = catalog.public_view(petition)
    ways = [Link(f"/petitions/{view['petition_id']}/remove", _("Ask for a new link"), button=True)] \
        if step in (Step.EXPIRED, Step.BROKEN) else []
    page = link_pages.outcome(table(), step, message=message, links=[*ways, link_pages.way_on(view)])
    return link_pages.respond(status or STATUS[step], link_pages.render(page, prefix))


def _petition_or_404(petition_id: str, prefix: str):
    petition = catalog.load(petition_id)
    if petition is None:
        return None, link_pages.no_petition(prefix)
    return petition, None


def form(petition_id: str, prefix: str) -> Response:
    petition, missing = _petition_or_404(petition_id, prefix)
    if missing:
        return missing
    page = pages.render("rights/remove.html", prefix=prefix, petition=catalog.public_view(petition), errors={},
                        email="")
    return responses.html(200, page, cache=responses.SHARED_PAGE_CACHE, headers={"Referrer-Policy": "no-referrer"})


def request(petition_id: str, prefix: str, raw: bytes | str, content_type: str | None) -> Response:
    as_json = bodies.media_type(content_type) == bodies.JSON
    petition, missing = _petition_or_404(petition_id, prefix)
    if missing:
        return responses.error(404, _("There is no petition with this id.")) if as_json else missing
    try:
        fields = bodies.read(raw, content_type)
    except bodies.BodyError as exc:
        return responses.error(exc.status, exc.translated()) if as_json else _result(
            Step.UNREADABLE, petition, prefix, exc.translated(), exc.status)
    given = fields.get("email")
    email = given if isinstance(given, str) else ""
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        if as_json:
            return responses.json_response(422, {"errors": {"email": _(INVALID_EMAIL)}})
        page = pages.render("rights/remove.html", prefix=prefix, petition=catalog.public_view(petition),
                       errors={"email": _(INVALID_EMAIL)}, email=email[:320])
        return responses.html(422, page, cache=responses.NO_STORE)
    try:
        erasure.request_link(petition, address)
    except (*tokens.FAILURES, canonical_email.SecretUnavailable) as exc:
        log.error("erasure request unavailable petition=%s error=%s", petition_id, clients.error_code(exc))
        if as_json:
            return responses.error(503, table()[Step.UNAVAILABLE][1])
        return _result(Step.UNAVAILABLE, petition, prefix)
    s = config.settings()
    hours = round(s.erase_link_seconds / 3600)
    if as_json:
        return responses.json_response(202, {"status": "received", "message": i18n.ngettext(
            "If that address signed this petition, we have sent it a link to remove the signature "
            "(it works for %(num)s hour).",
            "If that address signed this petition, we have sent it a link to remove the signature "
            "(it works for %(num)s hours).", hours)})
    page = pages.render("rights/remove_sent.html", prefix=prefix, petition=catalog.public_view(petition),
                        link_hours=hours, interval_minutes=erasure.LINK_INTERVAL_SECONDS // 60)
    return link_pages.respond(200, page)


def link_page(petition_id: str, prefix: str, token: str) -> Response:
    """GET: the page with the button (mail scanners follow links; only the POST acts)."""
    petition, missing = _petition_or_404(petition_id, prefix)
    if missing:
        return missing
    step, token = link_pages.attempt(lambda: erasure.inspect(petition_id, token), (Step.UNAVAILABLE, ""),
                                     tokens.FAILURES, "erasure link", petition_id)
    if step == Step.READY:
        return link_pages.respond(200, link_pages.render(_button(catalog.public_view(petition), token), prefix))
    return _result(step, petition, prefix)


def link_use(petition_id: str, prefix: str, raw: bytes | str, content_type: str | None) -> Response:
    """POST: the button."""
    petition, missing = _petition_or_404(petition_id, prefix)
    if missing:
        return missing
    token, unreadable = link_pages.posted_token(raw, content_type)
    if unreadable is not None:
        return _result(Step.UNREADABLE, petition, prefix, unreadable.translated(), unreadable.status)
    step = link_pages.attempt(lambda: erasure.confirm(petition_id, token), Step.UNAVAILABLE, tokens.FAILURES,
                              "erasure", petition_id)
    return _result(step, petition, prefix)
