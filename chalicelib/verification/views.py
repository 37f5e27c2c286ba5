"""The pages and JSON bodies that answer a confirmation link's requests."""
from __future__ import annotations

from chalice import Response

from chalicelib import i18n
from chalicelib.aws import config
from chalicelib.i18n import gettext as _
from chalicelib.petitions import catalog
from chalicelib.sharing import links
from chalicelib.tally import totals
from chalicelib.verification.confirm import Outcome, Step
from chalicelib.verification.pending import RESENDS_PER_DAY
from chalicelib.web import pages, responses

# Token pages are private to one signer: never cached, never indexed, and the
# token never leaves in a Referer header (to a share service, say).
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _days(seconds: int) -> str:
    return i18n.ngettext("%(num)s day", "%(num)s days", round(seconds / 86400))


def texts(step: Step) -> tuple[str, str]:
    """Heading and message for a step, written for the signer."""
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
        Step.UNREADABLE: (_("We couldn't read that request"),
                          _("Please go back to the email we sent you and open the link again.")),
        Step.UNAVAILABLE: (_("We couldn't do that just now"),
                           _("Something went wrong on our side. Please try again in a minute.")),
        Step.READY: (_("Confirm your signature"), ""),
    }[step]


def json_body(outcome: Outcome) -> dict:
    heading, message = texts(outcome.step)
    if outcome.status < 400:
        return {"status": outcome.step.value, "message": message or heading}
    return {"error": message, "reason": outcome.step.value}


def page(outcome: Outcome, prefix: str) -> str:
    heading, message = texts(outcome.step)
    petition = catalog.public_view(outcome.petition) if outcome.petition is not None else None
    context: dict[str, object] = {"petition": petition, "heading": heading, "message": message,
               "token": outcome.token, "step": outcome.step.value,
               "expiry_days": _days(config.settings().pending_expiry_seconds)}
    if outcome.step == Step.READY:
        return pages.render("verification/confirm.html", prefix=prefix, **context)
    if outcome.step in (Step.CONFIRMED, Step.ALREADY) and petition is not None:
        figures = totals.read(petition["petition_id"])
        share_url = f"{config.settings().public_base_url or prefix}/petitions/{petition['petition_id']}/sign"
        return pages.render("verification/confirmed.html", prefix=prefix, total=(figures or {}).get("total"),
                            share_url=share_url, shares=links.share_links(share_url, petition["title"]), **context)
    return pages.render("verification/problem.html", prefix=prefix, **context)


def reply(outcome: Outcome, prefix: str, as_json: bool) -> Response:
    """The link's answer: JSON for a script, the page for a person."""
    if as_json:
        return responses.json_response(outcome.status, json_body(outcome), HEADERS)
    return responses.html(outcome.status, page(outcome, prefix), cache=responses.NO_STORE, headers=HEADERS)
