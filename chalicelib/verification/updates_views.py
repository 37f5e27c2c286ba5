"""The campaign-updates link's pages: its table of texts, the page with one button, and every answer to it.

Drawn by the one link page (chalicelib/links/pages.py), private to one signer
like every mailed link's pages. Every problem is a page with its own 4xx;
only our own storage failing is a 503, never a 500.
"""
from __future__ import annotations

from chalice import Response

from chalicelib import i18n
from chalicelib.i18n import gettext as _
from chalicelib.links import pages as link_pages
from chalicelib.links.pages import Button, Link, Page
from chalicelib.links.steps import STATUS, Step
from chalicelib.petitions import catalog
from chalicelib.verification import tokens, updates


def table() -> dict[Step, tuple[str, str]]:
    """Heading and message for each step, written for the signer, in the current language."""
    return {
        Step.READY: (_("Do you want news of the campaign?"), ""),
        Step.CONFIRMED: (_("You will get news of the campaign"),
                         _("Thank you. The campaign may now write to this address about the petition and what "
                           "comes next. Every message will tell you how to stop them.")),
        Step.ALREADY: (_("You already asked for news of the campaign"),
                       _("You confirmed this before. There is nothing more to do.")),
        Step.GONE: (_("We can't find this signature"),
                    _("It may have been removed. Your signature and this link no longer go together.")),
        Step.BROKEN: (_("This link doesn't work"),
                      _("The link is incomplete or has been changed. Open it again from the email we sent you; "
                        "if you copy it, copy the whole address.")),
        Step.EXPIRED: (_("This link has expired"),
                       _("You have not been added to the campaign's mailing list. Nothing more will happen.")),
        **link_pages.common_texts(),
    }


def _button(petition: dict, token: str) -> Page:
    """The link's page: one button, which says yes."""
    petition_id, title, lang = petition["petition_id"], petition["title"], i18n.current()
    return Page(
        title=_("Do you want news of the campaign? %(title)s", title=title),
        heading=table()[Step.READY][0],
        message=link_pages.marked(_("When you signed <strong>%(title)s</strong>, you asked for news of the campaign. "
                                    "Press the button to confirm that this email address is yours and that you "
                                    "want it."), title=title),
        button=Button(f"/petitions/{petition_id}/updates/confirm?lang={lang}", _("Yes, send me news of the campaign"),
                      {"token": token}),
        note=_("Didn't ask for this? Then leave this page: nobody will write to you about the campaign, and your "
               "signature still counts."),
        links=[Link(f"/petitions/{petition_id}/remove?lang={lang}", _("Remove my signature"))])


def _reply(step: Step, petition, prefix: str, token: str = "", status: int | None = None) -> Response:
    view = catalog.public_view(petition)
    if step == Step.READY:
        page = _button(view, token)
    else:
        page = link_pages.outcome(table(), step, petition=view, links=[link_pages.way_on(view)])
    return link_pages.respond(status or STATUS[step], link_pages.render(page, prefix))


def link_page(petition_id: str, prefix: str, token: str) -> Response:
    """GET: the page with the button (mail scanners follow links; only the POST acts)."""
    petition = catalog.load(petition_id)
    if petition is None:
        return link_pages.no_petition(prefix)
    step = link_pages.attempt(lambda: updates.inspect(petition_id, token), Step.UNAVAILABLE, tokens.FAILURES,
                              "opt-in link", petition_id)
    return _reply(step, petition, prefix, token)


def link_use(petition_id: str, prefix: str, raw: bytes | str, content_type: str | None) -> Response:
    """POST: the button."""
    petition = catalog.load(petition_id)
    if petition is None:
        return link_pages.no_petition(prefix)
    token, unreadable = link_pages.posted_token(raw, content_type)
    if unreadable is not None:
        return _reply(Step.UNREADABLE, petition, prefix, status=unreadable.status)
    step = link_pages.attempt(lambda: updates.confirm(petition_id, token), Step.UNAVAILABLE, tokens.FAILURES,
                              "opt-in", petition_id)
    return _reply(step, petition, prefix)
