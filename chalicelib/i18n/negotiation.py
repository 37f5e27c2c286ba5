"""Choosing a request's language: ``?lang=``, then the switcher's cookie, then Accept-Language.

Pure functions over header values; the HTTP middleware in ``web.py`` applies them.
"""
from __future__ import annotations

from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from chalicelib.i18n import DEFAULT, supported

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 86400


@dataclass(frozen=True)
class Choice:
    language: str
    remember: bool  # the query named a language the cookie does not hold yet: set the cookie


def cookie_language(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None  # a mangled Cookie header must not stop anyone reading the page
    morsel = jar.get(COOKIE)
    return supported(morsel.value) if morsel is not None else None


def accept_language(header: str | None) -> str | None:
    """The most preferred of our languages in an Accept-Language header (RFC 9110 weights), or None."""
    ranked = []
    for position, part in enumerate((header or "").split(",")[:50]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = supported(tag)
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def negotiate(query_language: str | None, cookie_header: str | None, accept_header: str | None) -> Choice:
    from_query = supported(query_language)
    from_cookie = cookie_language(cookie_header)
    if from_query:
        return Choice(from_query, remember=from_query != from_cookie)
    return Choice(from_cookie or accept_language(accept_header) or DEFAULT, remember=False)


def set_cookie(language: str, secure: bool = True) -> str:
    """The switcher's cookie: the language only, for every page; Secure except on a plain-http local stack."""
    parts = [f"{COOKIE}={language}", "Path=/", f"Max-Age={COOKIE_MAX_AGE}", "SameSite=Lax", "HttpOnly"]
    return "; ".join(parts + (["Secure"] if secure else []))
