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
from chalicelib.petitions import catalog
from chalicelib.rights import erasure
from chalicelib.rights.erasure import Step
from chalicelib.verification import tokens
from chalicelib.web import bodies, pages, responses

log = logging.getLogger(__name__)

PRIVATE = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
INVALID_EMAIL = N_("Enter a valid email address, like name@example.com.")


def texts(step: str) -> tuple[str, str]:
    """Heading and message of an answer, in the request's language."""
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
        "unavailable": (_("We couldn't do that just now"),
                        _("Something went wrong on our side. Please try again in a minute.")),
        "unreadable": (_("We couldn't read that request"),
                       _("Please go back to the email we sent you and open the link again.")),
    }[step]


def _render(template: str, **context) -> str:
    return pages.render(template, **context)


def _petition_or_404(petition_id: str, prefix: str):
    petition = catalog.load(petition_id)
    if petition is None:
        return None, responses.html(404, pages.not_found(prefix), cache=responses.NO_STORE)
    return petition, None


def _result(status: int, step: str, heading: str, message: str, petition, prefix: str) -> Response:
    page = _render("rights/remove_result.html", prefix=prefix, heading=heading, message=message, step=step,
                        petition=catalog.public_view(petition) if petition is not None else None)
    return responses.html(status, page, cache=responses.NO_STORE, headers=PRIVATE)


def form(petition_id: str, prefix: str) -> Response:
    petition, missing = _petition_or_404(petition_id, prefix)
    if missing:
        return missing
    page = _render("rights/remove.html", prefix=prefix, petition=catalog.public_view(petition), errors={},
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
            exc.status, "unreadable", _("We couldn't read that request"), exc.translated(), petition, prefix)
    given = fields.get("email")
    email = given if isinstance(given, str) else ""
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        if as_json:
            return responses.json_response(422, {"errors": {"email": _(INVALID_EMAIL)}})
        page = _render("rights/remove.html", prefix=prefix, petition=catalog.public_view(petition),
                       errors={"email": _(INVALID_EMAIL)}, email=email[:320])
        return responses.html(422, page, cache=responses.NO_STORE)
    try:
        erasure.request_link(petition, address)
    except (*clients.STORAGE_ERRORS, canonical_email.SecretUnavailable, tokens.MissingSecret) as exc:
        log.error("erasure request unavailable petition=%s error=%s", petition_id, clients.error_code(exc))
        if as_json:
            return responses.error(503, texts("unavailable")[1])
        return _result(503, "unavailable", *texts("unavailable"), petition, prefix)
    s = config.settings()
    hours = round(s.erase_link_seconds / 3600)
    if as_json:
        return responses.json_response(202, {"status": "received", "message": i18n.ngettext(
            "If that address signed this petition, we have sent it a link to remove the signature "
            "(it works for %(num)s hour).",
            "If that address signed this petition, we have sent it a link to remove the signature "
            "(it works for %(num)s hours).", hours)})
    page = _render("rights/remove_sent.html", prefix=prefix, petition=catalog.public_view(petition),
                        link_hours=hours, interval_minutes=erasure.LINK_INTERVAL_SECONDS // 60)
    return responses.html(200, page, cache=responses.NO_STORE, headers=PRIVATE)


def link_page(petition_id: str, prefix: str, token: str) -> Response:
    petition, missing = _petition_or_404(petition_id, prefix)
    if missing:
        return missing
    try:
        step, token = erasure.inspect(petition_id, token)
    except (*clients.STORAGE_ERRORS, tokens.MissingSecret) as exc:
        log.error("erasure link unavailable petition=%s error=%s", petition_id, clients.error_code(exc))
        return _result(503, "unavailable", *texts("unavailable"), petition, prefix)
    if step == Step.READY:
        page = _render("rights/remove_confirm.html", prefix=prefix, petition=catalog.public_view(petition),
                            token=token)
        return responses.html(200, page, cache=responses.NO_STORE, headers=PRIVATE)
    return _result(erasure.STATUS[step], step, *texts(step), petition, prefix)


def link_use(petition_id: str, prefix: str, raw: bytes | str, content_type: str | None) -> Response:
    petition, missing = _petition_or_404(petition_id, prefix)
    if missing:
        return missing
    token, unreadable = _token(raw, content_type)
    if unreadable is not None:
        return _result(unreadable.status, "unreadable", _("We couldn't read that request"),
                       unreadable.translated(), petition, prefix)
    try:
        step = erasure.confirm(petition_id, token)
    except (*clients.STORAGE_ERRORS, tokens.MissingSecret) as exc:
        log.error("erasure unavailable petition=%s error=%s", petition_id, clients.error_code(exc))
        return _result(503, "unavailable", *texts("unavailable"), petition, prefix)
    return _result(erasure.STATUS[step], step, *texts(step), petition, prefix)


def _token(raw: bytes | str, content_type: str | None) -> tuple[str, bodies.BodyError | None]:
    try:
        fields = bodies.read(raw, content_type)
    except bodies.BodyError as exc:
        return "", exc
    token = fields.get("token")
    return (token if isinstance(token, str) else ""), None
