"""The language of an HTTP request, and the headers that tell caches and browsers about it.

``app.py`` wraps every route in ``around``: it chooses the language
(``?lang=``, then the switcher's cookie, then Accept-Language), answers in
it, and says so with ``Content-Language`` and ``Vary``. A link of the
language switcher (``?lang=fr``) also sets the cookie, so the next page,
reached from a plain link with JavaScript off, stays in French.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlencode

from chalice import Response

from chalicelib.aws import config
from chalicelib.i18n import DEFAULT, LANGUAGES, NAMES, using
from chalicelib.i18n.negotiation import negotiate, set_cookie

# What a language choice changes: the cookie and Accept-Language decide a page that names no ?lang=.
VARY = ("Cookie", "Accept-Language")
# Routes in one language or none: the admin area is for the campaign team (English), static files
# and the JSON totals carry no words.
NOT_TRANSLATED = ("/admin", "/static/")
WORDLESS = ("/totals",)


@dataclass(frozen=True)
class Here:
    """The page being answered, for the switcher's links: its path and query."""

    path: str = "/"
    query: tuple[tuple[str, str], ...] = ()


_here: ContextVar[Here | None] = ContextVar("here", default=None)


def switcher(path: str | None = None) -> list[dict[str, str]]:
    """Each language with a link to this page in it (the query kept, ``lang`` replaced)."""
    here = _here.get() or Here()
    links = []
    for code in LANGUAGES:
        query = {**{k: v for k, v in here.query if k != "lang"}, "lang": code}
        links.append({"code": code, "name": NAMES[code], "href": f"{path or here.path}?{urlencode(query)}"})
    return links


@contextmanager
def answering(path: str, query: dict[str, str]) -> Iterator[None]:
    token = _here.set(Here(path, tuple(query.items())))
    try:
        yield
    finally:
        _here.reset(token)


def _translated(path: str) -> bool:
    return not path.startswith(NOT_TRANSLATED) and path != "/admin"


def _merge_vary(existing: str | None, extra: tuple[str, ...]) -> str:
    names = [v.strip() for v in (existing or "").split(",") if v.strip()]
    seen = {n.lower() for n in names}
    return ", ".join(names + [v for v in extra if v.lower() not in seen])


def _secure() -> bool:
    return not (config.settings().public_base_url or "").startswith("http://")


def around(request, get_response: Callable, prefix: str = "") -> Response:
    """Answer ``request`` in its language and label the response with it."""
    # Chalice's request.path is the route's template (/petitions/{petition_id}/sign); the event has the real one.
    path = request.to_original_event().get("path") or request.path or "/"
    if not _translated(path) or request.method == "OPTIONS":  # a preflight carries no words
        with using(DEFAULT):
            return get_response(request)
    query = dict(request.query_params or {})
    headers = request.headers
    choice = negotiate(query.get("lang"), headers.get("cookie"), headers.get("accept-language"))
    with using(choice.language), answering(prefix + path, query):
        response = get_response(request)
    if path.endswith(WORDLESS) and response.status_code < 400:
        return response
    response.headers["Content-Language"] = choice.language
    response.headers["Vary"] = _merge_vary(response.headers.get("Vary"), VARY)
    if choice.remember:
        cookie = set_cookie(choice.language, secure=_secure())
        response.headers["Set-Cookie"] = cookie
        # A response that sets a cookie is one visitor's: no shared cache may keep it.
        response.headers["Cache-Control"] = "private, no-store"
    return response
