"""The admin area over HTTP: its pages, its JSON API, and the checks every request passes.

Each view takes Chalice's request and returns a response; app.py only routes.
Every answer is ``no-store`` (nothing here may sit in a browser's or a CDN's
cache). Without a live session, a page answers with the sign-in page (a 303
to it) and the API with 401; a POST without this session's CSRF token (the
``csrf_token`` field, or the ``X-CSRF-Token`` header for JSON) answers 403
and changes nothing.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from chalice import Response
from email_validator import EmailNotValidError, validate_email

from chalicelib import i18n
from chalicelib.admin import operations, outbox, sessions, signin, source_figures
from chalicelib.audit import trail
from chalicelib.aws import clients
from chalicelib.aws.models import PetitionStatus
from chalicelib.i18n import countries
from chalicelib.identity import canonical_email
from chalicelib.links import pages as link_pages
from chalicelib.petition_pages import views as petition_views
from chalicelib.petitions import markdown, rules, store
from chalicelib.rights import erasure
from chalicelib.web import bodies, pages, responses, security_headers

log = logging.getLogger(__name__)

NO_STORE = "no-store"
CSRF_HEADER = "x-csrf-token"


# ---- responses ----------------------------------------------------------------------------------

def _page(status: int, template: str, request, *, headers: dict | None = None, **context) -> Response:
    prefix = responses.stage_prefix(request)
    body = pages.render(f"admin/{template}", prefix=prefix, **context)
    headers = {**security_headers.for_admin_page(), **(headers or {})}
    return responses.html(status, body, cache=NO_STORE, headers=headers)


def _json(status: int, body, headers: dict | None = None) -> Response:
    return responses.json_response(status, body, {"Cache-Control": NO_STORE, **(headers or {})})


def _see_other(request, path: str, headers: dict | None = None) -> Response:
    return Response(body="", status_code=303, headers={"Location": responses.stage_prefix(request) + path,
                                                       "Cache-Control": NO_STORE, **(headers or {})})


def _message(request, status: int, heading: str, message: str) -> Response:
    return _page(status, "message.html", request, heading=heading, message=message, session=None)


# ---- reading requests --------------------------------------------------------------------------------

def _form(request) -> dict[str, str]:
    return bodies.read_form(request.raw_body, limit=bodies.ADMIN_LIMIT)


def _json_body(request) -> dict:
    return bodies.read_json(request.raw_body, limit=bodies.ADMIN_LIMIT)


def _cookie_header(request) -> str | None:
    return request.headers.get("cookie")


# ---- the guard every admin view passes ------------------------------------------------------------------

def _unavailable(api: bool, request) -> Response:
    message = "The admin area can't reach its storage just now. Please try again in a minute."
    if api:
        return _json(503, {"error": message}, {"Retry-After": "30"})
    return _message(request, 503, "Please try again in a minute", message)


def guarded(*, api: bool) -> Callable:
    """Views that need a live session (and, on POST, its CSRF token); the view gets the session first."""
    def wrap(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def run(request, *args, **kwargs) -> Response:
            try:
                session = sessions.current(_cookie_header(request))
                if session is None:
                    if api:
                        return _json(401, {"error": "Sign in first: POST /admin/sign-in, then follow the "
                                                    "emailed link."})
                    return _see_other(request, "/admin/sign-in")
                if request.method == "POST":
                    form = None if api else _form(request)
                    token = request.headers.get(CSRF_HEADER) or (form or {}).get("csrf_token")
                    if not sessions.csrf_ok(token, session.sid):
                        log.warning("admin POST refused: no valid CSRF token route=%s", view.__name__)
                        if api:
                            return _json(403, {"error": "Send this session's CSRF token in X-CSRF-Token."})
                        return _message(request, 403, "That didn't come from this site",
                                        "The form was missing its security token, so nothing was changed. "
                                        "Go back, reload the page and try again.")
                    if form is not None:
                        kwargs["form"] = form
                return view(request, session, *args, **kwargs)
            except bodies.BodyError as problem:
                if api:
                    return _json(problem.status, {"error": problem.translated()})
                return _message(request, problem.status, "We couldn't read that", problem.translated())
            except (*clients.STORAGE_ERRORS, canonical_email.SecretUnavailable) as exc:
                log.error("admin storage unavailable route=%s error=%s", view.__name__, clients.error_code(exc))
                return _unavailable(api, request)
        return run
    return wrap


def _open(api: bool) -> Callable:
    """Views before sign-in: storage failures answer 503, unreadable bodies 4xx."""
    def wrap(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def run(request, *args, **kwargs) -> Response:
            try:
                return view(request, *args, **kwargs)
            except bodies.BodyError as problem:
                return _message(request, problem.status, "We couldn't read that", problem.translated())
            except (*clients.STORAGE_ERRORS, canonical_email.SecretUnavailable) as exc:
                log.error("admin storage unavailable route=%s error=%s", view.__name__, clients.error_code(exc))
                return _unavailable(api, request)
        return run
    return wrap


# ---- signing in and out ----------------------------------------------------------------------------------

def _pre_csrf(request) -> tuple[str, dict]:
    binding, set_cookie = sessions.pre_binding(_cookie_header(request))
    return sessions.csrf_token(binding), ({"Set-Cookie": set_cookie} if set_cookie else {})


def _pre_csrf_ok(request, form: dict) -> bool:
    binding = sessions.cookies(_cookie_header(request)).get(sessions.PRE_COOKIE)
    return sessions.csrf_ok(form.get("csrf_token"), binding)


def _refused_sign_in(request) -> Response:
    return _message(request, 403, "That didn't come from this site",
                    "The form was missing its security token. Open the sign-in page again and retry.")


@_open(api=False)
def sign_in_form(request) -> Response:
    if sessions.current(_cookie_header(request)) is not None:
        return _see_other(request, "/admin")
    token, headers = _pre_csrf(request)
    return _page(200, "sign_in.html", request, csrf_token=token, headers=headers, session=None)


@_open(api=False)
def sign_in_request(request, send: signin.SendMail = outbox.send) -> Response:
    form = _form(request)
    if not _pre_csrf_ok(request, form):
        return _refused_sign_in(request)
    try:
        answer = signin.request_link(form.get("email", ""), send)
    except signin.NoPublicAddress:
        log.error("admin sign-in impossible: PUBLIC_BASE_URL is not set")
        answer = signin.ANSWER
    return _page(200, "sign_in_sent.html", request, answer=answer, session=None)


def _link_reply(request, status: int, page: link_pages.Page, headers: dict | None = None) -> Response:
    """A sign-in link's page: the admin area's layout and policy, and private like every mailed link's page."""
    body = link_pages.render(page, responses.stage_prefix(request), layout=link_pages.ADMIN_LAYOUT)
    return link_pages.respond(status, body, {**security_headers.for_admin_page(), **(headers or {})})


@_open(api=False)
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


@_open(api=False)
def link_use(request, token: str) -> Response:
    form = _form(request)
    if not _pre_csrf_ok(request, form):
        refused = _refused_sign_in(request)
        refused.headers.update(link_pages.PRIVATE)
        return refused
    opened = signin.use_link(token)
    if opened is None:
        return _link_problem(request)
    session, cookie = sessions.start(opened.email)
    trail.record(opened.email, "sign-in")
    return _see_other(request, "/admin", {"Set-Cookie": [sessions.session_cookie(cookie),
                                                         sessions.cleared(sessions.PRE_COOKIE)]})


def _link_problem(request) -> Response:
    heading = "This sign-in link doesn't work"
    return _link_reply(request, 400, link_pages.Page(
        title=heading, heading=heading,
        message="It has been used already, has expired (links work for 15 minutes), or was copied incompletely. "
                "Ask for a new one.", links=[link_pages.Link("/admin/sign-in", "Ask for a new link")]))


@guarded(api=False)
def sign_out(request, session: sessions.Session, form: dict) -> Response:
    sessions.end(session)
    trail.record(session.email, "sign-out")
    return _see_other(request, "/admin/sign-in", {"Set-Cookie": sessions.cleared()})


# ---- pages ----------------------------------------------------------------------------------------------------

def _petition_form_values(fields: dict) -> dict[str, str]:
    """Stored fields as the form's text boxes show them (a translation's as ``fr.title`` and so on)."""
    targets = fields.get("country_targets") or {}
    translated = {f"{language}.{name}": "\n".join(text) if name == "asks" else text
                  for language, words in (fields.get("translations") or {}).items() for name, text in words.items()}
    return {**{name: "" if fields.get(name) is None else str(fields[name]) for name in rules.NAMES},
            "petition_id": fields.get("petition_id") or "",
            "asks": "\n".join(fields.get("asks") or []),
            "embed_origins": "\n".join(fields.get("embed_origins") or []),
            "sources": "\n".join(fields.get("sources") or []),
            "country_targets": "\n".join(f"{code} {n}" for code, n in targets.items()),
            "language": fields.get("language") or i18n.DEFAULT, "translations": "", **translated}


def _form_fields(form: dict, names: tuple[str, ...]) -> dict:
    """The form's fields for ``rules.parse``: the language tabs' boxes gathered into ``translations``."""
    values = {name: form.get(name, "") for name in names}
    values["translations"] = {language: {name: form.get(f"{language}.{name}", "") for name in rules.TRANSLATED}
                              for language in i18n.LANGUAGES}
    return values


def _form_echo(form: dict, names: tuple[str, ...]) -> dict:
    """What was typed, to draw the form again with it."""
    return {**{name: form.get(name, "") for name in names},
            **{key: value for key, value in form.items() if key.partition(".")[0] in i18n.LANGUAGES}}


def _form_page(request, session, *, status: int, values: dict, errors: dict, creating: bool,
               petition_id: str | None = None) -> Response:
    return _page(status, "petition_form.html", request, session=session, values=values, errors=errors,
                 creating=creating, petition_id=petition_id, countries=countries.names(),
                 content_languages=[(code, i18n.NAMES[code]) for code in i18n.LANGUAGES],
                 translated_fields=rules.TRANSLATED,
                 preview=_preview_view(values), title_prefix="Error: " if errors else "")


@guarded(api=False)
def home(request, session) -> Response:
    return _page(200, "home.html", request, session=session, rows=operations.overview())


@guarded(api=False)
def new_form(request, session) -> Response:
    return _form_page(request, session, status=200, values=_petition_form_values({"goal": ""}), errors={},
                      creating=True)


@guarded(api=False)
def create(request, session, form: dict) -> Response:
    names = ("petition_id", *rules.NAMES)
    values = _form_echo(form, names)
    try:
        after = operations.create(session.email, _form_fields(form, names))
    except operations.Problems as problems:
        return _form_page(request, session, status=422, values=values, errors=problems.errors, creating=True)
    except operations.Exists:
        return _form_page(request, session, status=409, values=values, creating=True,
                          errors={"petition_id": "A petition with this id exists already. Choose another."})
    return _see_other(request, f"/admin/petitions/{after['petition_id']}")


@guarded(api=False)
def petition_page(request, session, petition_id: str) -> Response:
    try:
        fields, figures = operations.details(petition_id)
    except operations.NotFound:
        return _message(request, 404, "No such petition", "There is no petition with this id.")
    return _page(200, "petition.html", request, session=session, petition=fields, figures=figures,
                 names=countries.names(), targets_line=petition_views.targets_line(figures),
                 sources=source_figures.for_petition(petition_id, fields.get("sources")))


@guarded(api=False)
def edit_form(request, session, petition_id: str) -> Response:
    try:
        fields, _ = operations.details(petition_id)
    except operations.NotFound:
        return _message(request, 404, "No such petition", "There is no petition with this id.")
    return _form_page(request, session, status=200, values=_petition_form_values(fields), errors={},
                      creating=False, petition_id=petition_id)


@guarded(api=False)
def update(request, session, petition_id: str, form: dict) -> Response:
    values = _form_echo(form, rules.NAMES)
    try:
        operations.update(session.email, petition_id, _form_fields(form, rules.NAMES))
    except operations.NotFound:
        return _message(request, 404, "No such petition", "There is no petition with this id.")
    except operations.Problems as problems:
        return _form_page(request, session, status=422, values={**values, "petition_id": petition_id},
                          errors=problems.errors, creating=False, petition_id=petition_id)
    return _see_other(request, f"/admin/petitions/{petition_id}")


@guarded(api=False)
def change_status(request, session, petition_id: str, form: dict) -> Response:
    try:
        operations.change_status(session.email, petition_id, form.get("change", ""))
    except operations.NotFound:
        return _message(request, 404, "No such petition", "There is no petition with this id.")
    except operations.WrongState as problem:
        return _message(request, 409, "That can't be done now", str(problem))
    return _see_other(request, f"/admin/petitions/{petition_id}")


@guarded(api=False)
def erase_signer(request, session, petition_id: str, form: dict) -> Response:
    """Remove one signer from this petition by address (the keyed hash finds it; a record is kept)."""

    try:
        address = validate_email((form.get("email") or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return _message(request, 422, "That is not an email address", "Enter the address the signer signed with.")
    if store.get(petition_id) is None:
        return _message(request, 404, "No such petition", "There is no petition with this id.")
    if erasure.erase(address, petition_id, session.email):
        return _message(request, 200, "Signature removed", "The signature is deleted and recorded in the audit "
                        "log (petition, time, channel; no personal data). The count drops within seconds.")
    return _message(request, 404, "No signature for that address",
                    "Nobody signed this petition with that address (or it was removed or anonymised before).")


@guarded(api=False)
def preview(request, session, form: dict) -> Response:
    """The sign page's campaign part for the fields as typed (the edit page's live preview)."""
    body = pages.render("admin/_preview.html", prefix=responses.stage_prefix(request), preview=_preview_view(form))
    return responses.html(200, body, cache=NO_STORE)


def _preview_view(raw: dict) -> dict:
    """What the sign page would show for these fields: the good ones as stored, the rest left out."""
    values, _ = rules.parse({name: raw.get(name, "") for name in rules.NAMES if name != "translations"},
                            creating=False)
    image = None
    if values.get("image_url"):
        image = {"url": values["image_url"], "alt": values.get("image_alt") or "", "credit": values.get("image_credit")}
    organiser = {"name": values["organiser_name"], "url": values.get("organiser_url")} \
        if values.get("organiser_name") else None
    return {"title": values.get("title") or "(no title yet)", "summary": values.get("summary") or "",
            "asks": values.get("asks") or [], "body_html": markdown.to_html(values.get("body")), "image": image,
            "organiser": organiser, "featured_country": values.get("featured_country"),
            "goal": values.get("goal") or 0}


@guarded(api=False)
def audit_page(request, session) -> Response:
    return _page(200, "audit.html", request, session=session, entries=trail.latest(200))


# ---- the JSON API: the same operations, the same session ------------------------------------------------

@guarded(api=True)
def api_session(request, session) -> Response:
    return _json(200, {"email": session.email, "csrf_token": session.csrf_token})


@guarded(api=True)
def api_list(request, session) -> Response:
    return _json(200, {"petitions": operations.overview()})


@guarded(api=True)
def api_create(request, session) -> Response:
    body = _json_body(request)
    status = body.pop("status", PetitionStatus.DRAFT)
    if status not in (PetitionStatus.DRAFT, PetitionStatus.OPEN):
        return _json(422, {"errors": {"status": "A new petition is a draft or open."}})
    try:
        after = operations.create(session.email, body, PetitionStatus(status))
    except operations.Problems as problems:
        return _json(422, {"errors": problems.errors})
    except operations.Exists:
        return _json(409, {"error": "A petition with this id exists already."})
    return _json(201, after)


@guarded(api=True)
def api_petition(request, session, petition_id: str) -> Response:
    try:
        fields, figures = operations.details(petition_id)
    except operations.NotFound:
        return _json(404, {"error": "There is no petition with this id."})
    return _json(200, {"petition": fields, "figures": figures,
                       "campaign": source_figures.for_petition(petition_id, fields.get("sources"))})


@guarded(api=True)
def api_update(request, session, petition_id: str) -> Response:
    body = _json_body(request)
    try:
        after = operations.update(session.email, petition_id, body)
    except operations.NotFound:
        return _json(404, {"error": "There is no petition with this id."})
    except operations.Problems as problems:
        return _json(422, {"errors": problems.errors})
    return _json(200, after)


@guarded(api=True)
def api_status(request, session, petition_id: str) -> Response:
    change = _json_body(request).get("change")
    if change not in operations.store.TRANSITIONS:
        return _json(422, {"errors": {"change": "One of open, close, reopen."}})
    try:
        after = operations.change_status(session.email, petition_id, change)
    except operations.NotFound:
        return _json(404, {"error": "There is no petition with this id."})
    except operations.WrongState as problem:
        return _json(409, {"error": str(problem)})
    return _json(200, after)


@guarded(api=True)
def api_audit(request, session) -> Response:
    return _json(200, {"entries": [entry.as_json() for entry in trail.latest(200)]})
