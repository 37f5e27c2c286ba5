"""Choosing a request's language: ``?lang=``, then the switcher's cookie, then Accept-Language.

Pure functions over header values; the HTTP middleware in ``web.py`` applies them.
``preferred_tags`` is the one reading of Accept-Language (the sign page's
likely country reads its regions from it too).
"""
from __future__ import annotations

from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from chalicelib.i18n import DEFAULT, supported

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 86400
MAX_RANGES = 50  # Accept-Language entries read (see ``preferred_tags``)


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


def preferred_tags(header: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most preferred first (RFC 9110 weights).

    A tag with ``q=0`` or a weight that is not a number is left out; equal
    weights keep the header's order. Only the first ``MAX_RANGES`` entries are
    read: a browser sends a handful, and a header of thousands costs no more
    than that.
    """
    ranked = []
    for position, part in enumerate((header or "").split(",", MAX_RANGES)[:MAX_RANGES]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        tag = tag.strip()
        if tag and quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def accept_language(header: str | None) -> str | None:
    """The most preferred of our languages in an Accept-Language header, or None."""
    return next((language for language in map(supported, preferred_tags(header)) if language), None)


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
