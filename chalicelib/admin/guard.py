"""The checks every admin request passes, and how the admin area answers.

Every answer is ``no-store`` (nothing here may sit in a browser's or a CDN's cache). Without a live
session, a page answers with the sign-in page (a 303 to it) and the API with 401; a POST without this
session's CSRF token (the ``csrf_token`` field, or the ``X-CSRF-Token`` header for JSON) answers 403 and
changes nothing. Storage failures answer 503 and unreadable bodies 4xx, in both.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from chalice import Response

from chalicelib.admin import sessions
from chalicelib.aws import clients
from chalicelib.identity import canonical_email
from chalicelib.web import bodies, pages, responses, security_headers

log = logging.getLogger(__name__)


NO_STORE = "no-store"
CSRF_HEADER = "x-csrf-token"


# ---- responses ----------------------------------------------------------------------------------

def page(status: int, template: str, request, *, headers: dict | None = None, **context) -> Response:
    prefix = responses.stage_prefix(request)
    body = pages.render(f"admin/{template}", prefix=prefix, **context)
    headers = {**security_headers.for_admin_page(), **(headers or {})}
    return responses.html(status, body, cache=NO_STORE, headers=headers)


def json_answer(status: int, body, headers: dict | None = None) -> Response:
    return responses.json_response(status, body, {"Cache-Control": NO_STORE, **(headers or {})})


def see_other(request, path: str, headers: dict | None = None) -> Response:
    return Response(body="", status_code=303, headers={"Location": responses.stage_prefix(request) + path,
                                                       "Cache-Control": NO_STORE, **(headers or {})})


def message_page(request, status: int, heading: str, message: str) -> Response:
    return page(status, "message.html", request, heading=heading, message=message, session=None)


# ---- reading requests --------------------------------------------------------------------------------

def read_form(request) -> dict[str, str]:
    return bodies.read_form(request.raw_body, limit=bodies.ADMIN_LIMIT)


def read_json(request) -> dict:
    return bodies.read_json(request.raw_body, limit=bodies.ADMIN_LIMIT)


def cookie_header(request) -> str | None:
    return request.headers.get("cookie")



# ---- the guard every admin view passes ------------------------------------------------------------------

def unavailable(api: bool, request) -> Response:
    message = "The admin area can't reach its storage just now. Please try again in a minute."
    if api:
        return json_answer(503, {"error": message}, {"Retry-After": "30"})
    return message_page(request, 503, "Please try again in a minute", message)


def _answering_problems(view: Callable[..., Response], api: bool) -> Callable[..., Response]:
    """Unreadable bodies answer 4xx and storage failures 503, as a page or as the API's JSON."""
    @functools.wraps(view)
    def run(request, *args, **kwargs) -> Response:
        try:
            return view(request, *args, **kwargs)
        except bodies.BodyError as problem:
            if api:
                return json_answer(problem.status, {"error": problem.translated()})
            return message_page(request, problem.status, "We couldn't read that", problem.translated())
        except (*clients.STORAGE_ERRORS, canonical_email.SecretUnavailable) as exc:
            log.error("admin storage unavailable route=%s error=%s", view.__name__, clients.error_code(exc))
            return unavailable(api, request)
    return run


def guarded(*, api: bool) -> Callable:
    """Views that need a live session (and, on POST, its CSRF token); the view gets the session first."""
    def wrap(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def checked(request, *args, **kwargs) -> Response:
            session = sessions.current(cookie_header(request))
            if session is None:
                if api:
                    return json_answer(401, {"error": "Sign in first: POST /admin/sign-in, then follow the "
                                             "emailed link."})
                return see_other(request, "/admin/sign-in")
            if request.method == "POST":
                form = None if api else read_form(request)
                token = request.headers.get(CSRF_HEADER) or (form or {}).get("csrf_token")
                if not sessions.csrf_ok(token, session.sid):
                    log.warning("admin POST refused: no valid CSRF token route=%s", view.__name__)
                    if api:
                        return json_answer(403, {"error": "Send this session's CSRF token in X-CSRF-Token."})
                    return message_page(request, 403, "That didn't come from this site",
                                        "The form was missing its security token, so nothing was changed. "
                                        "Go back, reload the page and try again.")
                if form is not None:
                    kwargs["form"] = form
            return view(request, session, *args, **kwargs)
        return _answering_problems(checked, api)
    return wrap


def open_view(api: bool) -> Callable:
    """Views before sign-in: storage failures answer 503, unreadable bodies 4xx."""
    return lambda view: _answering_problems(view, api)
