"""The campaign-updates link's pages: the page with one button, and every answer to it.

Private to one signer like the confirmation link's pages: never cached, never
indexed, no Referer. Every problem is a page with its own 4xx; only our own
storage failing is a 503, never a 500.
"""
from __future__ import annotations

import logging

from chalice import Response

from chalicelib.aws import clients
from chalicelib.i18n import gettext as _
from chalicelib.petitions import catalog
from chalicelib.verification import updates
from chalicelib.verification.updates import Step
from chalicelib.verification.views import HEADERS
from chalicelib.web import bodies, pages, responses

log = logging.getLogger(__name__)


def texts(step: Step) -> tuple[str, str]:
    """Heading and message for a step, written for the signer."""
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
        Step.UNREADABLE: (_("We couldn't read that request"),
                          _("Please go back to the email we sent you and open the link again.")),
        Step.UNAVAILABLE: (_("We couldn't do that just now"),
                           _("Something went wrong on our side. Please try again in a minute.")),
    }[step]


def _page(step: Step, petition, prefix: str, token: str = "") -> Response:
    heading, message = texts(step)
    view = catalog.public_view(petition)
    template = "verification/updates_confirm.html" if step == Step.READY else "verification/updates_result.html"
    page = pages.render(template, prefix=prefix, petition=view, heading=heading, message=message, token=token,
                        step=step.value)
    return responses.html(updates.STATUS[step], page, cache=responses.NO_STORE, headers=HEADERS)


def _petition(petition_id: str, prefix: str):
    petition = catalog.load(petition_id)
    if petition is None:
        return None, responses.html(404, pages.not_found(prefix), cache=responses.NO_STORE, headers=HEADERS)
    return petition, None


def link_page(petition_id: str, prefix: str, token: str) -> Response:
    """GET: the page with the button (mail scanners follow links; only the POST acts)."""
    petition, missing = _petition(petition_id, prefix)
    if missing:
        return missing
    try:
        step = updates.inspect(petition_id, token)
    except updates.FAILURES as exc:
        log.error("opt-in link unavailable petition=%s error=%s", petition_id, clients.error_code(exc))
        step = Step.UNAVAILABLE
    return _page(step, petition, prefix, token if step == Step.READY else "")


def link_use(petition_id: str, prefix: str, raw: bytes | str, content_type: str | None) -> Response:
    """POST: the button."""
    petition, missing = _petition(petition_id, prefix)
    if missing:
        return missing
    try:
        fields = bodies.read(raw, content_type)
    except bodies.BodyError as exc:
        response = _page(Step.UNREADABLE, petition, prefix)
        response.status_code = exc.status
        return response
    token = fields.get("token")
    try:
        step = updates.confirm(petition_id, token if isinstance(token, str) else "")
    except updates.FAILURES as exc:
        log.error("opt-in unavailable petition=%s error=%s", petition_id, clients.error_code(exc))
        step = Step.UNAVAILABLE
    return _page(step, petition, prefix)
