"""The pages and JSON bodies that answer a confirmation link's requests: its table of texts and its ways on.

Drawn by the one link page (chalicelib/links/pages.py), except the thanks
page a confirmed signature gets, which shows the count and the share links.
"""
from __future__ import annotations

from chalice import Response

from chalicelib import i18n
from chalicelib.aws import config
from chalicelib.i18n import gettext as _
from chalicelib.links import pages as link_pages
from chalicelib.links.pages import Button, Link, Page
from chalicelib.links.steps import Step
from chalicelib.petitions import catalog
from chalicelib.sharing import links
from chalicelib.tally import totals
from chalicelib.verification.confirm import Outcome
from chalicelib.verification.pending import RESENDS_PER_DAY
from chalicelib.web import pages, responses


def _days(seconds: int) -> str:
    return i18n.ngettext("%(num)s day", "%(num)s days", round(seconds / 86400))


def table() -> dict[Step, tuple[str, str]]:
    """Heading and message for each step, written for the signer, in the current language."""
    s = config.settings()
    link_days, expiry_days = _days(s.verify_link_seconds), _days(s.pending_expiry_seconds)
    return {
        Step.CONFIRMED: (_("Your signature is confirmed"),
                         _("Thank you. Your signature now counts, and it will be in the total within a few "
                           "seconds.")),
        Step.ALREADY: (_("Your signature is already confirmed"),
                       _("You confirmed it before, so it already counts. There is nothing more to do.")),
        Step.RESENT: (_("We've sent you a new link"),
                      _("Check your email and open the newest message from us. The new link works for "
                        "%(days)s.", days=link_days)),
        Step.BROKEN: (_("This confirmation link doesn't work"),
                      _("The link is incomplete or has been changed. Open it again from the email we sent you; "
                        "if you copy it, copy the whole address.")),
        Step.WRONG_PETITION: (_("This link is for another petition"),
                              _("The confirmation link doesn't belong to this petition. Open it again from the "
                                "email we sent you.")),
        Step.NO_PETITION: (_("Petition not found"),
                           _("There is no petition at this address. Check the link you followed.")),
        Step.GONE: (_("We can't find this signature"),
                    _("It may have been deleted: signatures that are not confirmed are deleted after "
                      "%(days)s. Sign the petition again to get a new link.", days=expiry_days)),
        Step.CLOSED: (_("This petition has closed"),
                      _("It no longer takes signatures, so this signature can't be confirmed.")),
        Step.EXPIRED: (_("This confirmation link has expired"),
                       _("Links work for %(days)s. We can send you a new one.", days=link_days)),
        Step.CAPPED: (_("We've already sent you several links"),
                      _("We send at most %(count)s new links a day. Look for them in your inbox and spam "
                        "folder, or try again tomorrow.", count=RESENDS_PER_DAY)),
        Step.READY: (_("Confirm your signature"), ""),
        **link_pages.common_texts(),
    }


def json_body(outcome: Outcome) -> dict:
    heading, message = table()[outcome.step]
    if outcome.status < 400:
        return {"status": outcome.step.value, "message": message or heading}
    return {"error": message, "reason": outcome.step.value}


def _button(petition: dict, token: str) -> Page:
    """The link's page: one button, which confirms."""
    petition_id, title = petition["petition_id"], petition["title"]
    return Page(
        title=_("Confirm your signature: %(title)s", title=title),
        heading=table()[Step.READY][0],
        message=link_pages.marked(_("You are confirming your signature on the petition <strong>%(title)s</strong>."),
                                  title=title),
        button=Button(f"/petitions/{petition_id}/confirm?lang={i18n.current()}", _("Confirm my signature"),
                      {"token": token}, note=_("Press the button and your signature counts.")),
        note=_("Didn't sign this petition? Then leave this page: a signature that is not confirmed is never counted, "
               "and it is deleted within %(days)s.", days=_days(config.settings().pending_expiry_seconds)))


def _answer(outcome: Outcome, petition: dict | None) -> Page:
    """Any other answer; an expired link offers a fresh one, a signature gone offers signing again."""
    button, ways = None, []
    if outcome.step == Step.EXPIRED and petition is not None:
        button = Button(f"/petitions/{petition['petition_id']}/confirm/resend?lang={i18n.current()}",
                        _("Send me a new link"), {"token": outcome.token},
                        note=_("We'll email a new link to the address you signed with."))
    elif outcome.step == Step.GONE and petition is not None and petition["status"] == "open":
        ways.append(Link(f"/petitions/{petition['petition_id']}/sign", _("Sign the petition again"), button=True))
    return link_pages.outcome(table(), outcome.step, button=button, links=[*ways, link_pages.way_on(petition)])


def page(outcome: Outcome, prefix: str) -> str:
    petition = catalog.public_view(outcome.petition) if outcome.petition is not None else None
    if outcome.step == Step.READY and petition is not None:
        return link_pages.render(_button(petition, outcome.token), prefix)
    if outcome.step in (Step.CONFIRMED, Step.ALREADY) and petition is not None:
        heading, message = table()[outcome.step]
        figures = totals.read(petition["petition_id"])
        share_url = f"{config.settings().public_base_url or prefix}/petitions/{petition['petition_id']}/sign"
        return pages.render("verification/confirmed.html", prefix=prefix, petition=petition, heading=heading,
                            message=message, total=(figures or {}).get("total"), share_url=share_url,
                            shares=links.share_links(share_url, petition["title"]))
    return link_pages.render(_answer(outcome, petition), prefix)


def reply(outcome: Outcome, prefix: str, as_json: bool) -> Response:
    """The link's answer: JSON for a script, the page for a person."""
    if as_json:
        return responses.json_response(outcome.status, json_body(outcome), link_pages.PRIVATE)
    return link_pages.respond(outcome.status, page(outcome, prefix))
