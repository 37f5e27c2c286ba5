"""Signing in and out of the admin area: the form, the mailed link's page and its button, signing out."""
from __future__ import annotations

import logging

from chalice import Response

from chalicelib.admin import guard, outbox, sessions, signin
from chalicelib.audit import trail
from chalicelib.links import pages as link_pages
from chalicelib.web import responses, security_headers

log = logging.getLogger(__name__)


def _pre_csrf(request) -> tuple[str, dict]:
    binding, set_cookie = sessions.pre_binding(guard.cookie_header(request))
    return sessions.csrf_token(binding), ({"Set-Cookie": set_cookie} if set_cookie else {})


def _pre_csrf_ok(request, form: dict) -> bool:
    binding = sessions.cookies(guard.cookie_header(request)).get(sessions.PRE_COOKIE)
    return sessions.csrf_ok(form.get("csrf_token"), binding)


def _refused_sign_in(request) -> Response:
    return guard.message_page(request, 403, "That didn't come from this site",
                              "The form was missing its security token. Open the sign-in page again and retry.")


@guard.open_view(api=False)
def sign_in_form(request) -> Response:
    if sessions.current(guard.cookie_header(request)) is not None:
        return guard.see_other(request, "/admin")
    token, headers = _pre_csrf(request)
    return guard.page(200, "sign_in.html", request, csrf_token=token, headers=headers, session=None)


@guard.open_view(api=False)
def sign_in_request(request, send: signin.SendMail = outbox.send) -> Response:
    form = guard.read_form(request)
    if not _pre_csrf_ok(request, form):
        return _refused_sign_in(request)
    try:
        answer = signin.request_link(form.get("email", ""), send)
    except signin.NoPublicAddress:
        log.error("admin sign-in impossible: PUBLIC_BASE_URL is not set")
        answer = signin.ANSWER
    return guard.page(200, "sign_in_sent.html", request, answer=answer, session=None)


def _link_reply(request, status: int, page: link_pages.Page, headers: dict | None = None) -> Response:
    """A sign-in link's page: the admin area's layout and policy, and private like every mailed link's page."""
    body = link_pages.render(page, responses.stage_prefix(request), layout=link_pages.ADMIN_LAYOUT)
    return link_pages.respond(status, body, {**security_headers.for_admin_page(), **(headers or {})})


@guard.open_view(api=False)
def link_page(request, token: str) -> Response:
    """GET shows a button; only the POST uses the link (mail scanners follow links)."""
    if not signin.token_looks_valid(token):
        return _link_problem(request)
    csrf, headers = _pre_csrf(request)
    page = link_pages.Page(
        title="Sign in", heading="Sign in to the admin area",
        button=link_pages.Button(f"/admin/sign-in/{token}", "Sign in", {"csrf_token": csrf},
                                 note="This link signs you in once. Press the button to sign in on this device."))
    return _link_reply(request, 200, page, headers)


@guard.open_view(api=False)
def link_use(request, token: str) -> Response:
    form = guard.read_form(request)
    if not _pre_csrf_ok(request, form):
        refused = _refused_sign_in(request)
        refused.headers.update(link_pages.PRIVATE)
        return refused
    opened = signin.use_link(token)
    if opened is None:
        return _link_problem(request)
    session, cookie = sessions.start(opened.email)
    trail.record(opened.email, "sign-in")
    return guard.see_other(request, "/admin", {"Set-Cookie": [sessions.session_cookie(cookie),
                                                              sessions.cleared(sessions.PRE_COOKIE)]})


def _link_problem(request) -> Response:
    heading = "This sign-in link doesn't work"
    return _link_reply(request, 400, link_pages.Page(
        title=heading, heading=heading,
        message="It has been used already, has expired (links work for 15 minutes), or was copied incompletely. "
                "Ask for a new one.", links=[link_pages.Link("/admin/sign-in", "Ask for a new link")]))


@guard.guarded(api=False)
def sign_out(request, session: sessions.Session, form: dict) -> Response:
    sessions.end(session)
    trail.record(session.email, "sign-out")
    return guard.see_other(request, "/admin/sign-in", {"Set-Cookie": sessions.cleared()})
