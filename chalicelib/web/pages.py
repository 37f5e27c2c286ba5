"""HTML pages and their static assets, rendered with Jinja2 (autoescaping on).

Everything a page needs ships inside this package: the templates, one
stylesheet (inlined, so a signer on a slow phone waits for one response, not
two; the Content-Security-Policy allows it by its hash, ``inline_style_hash``),
one script and the world outline (served by ``asset`` with a content-hash in
the URL, so browsers may keep them for a year). No template has inline script
or ``style`` attributes, which the policy would refuse.
"""
from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from chalicelib import i18n
from chalicelib.aws import caches, clock
from chalicelib.i18n import countries
from chalicelib.i18n import gettext as _
from chalicelib.i18n import web as i18n_web

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STYLESHEET = Path(__file__).resolve().parent.parent / "templates" / "site.css"
STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
}
STATIC_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.(?:js|css|svg)")
# The URL carries the content hash, so a changed file gets a new URL.
STATIC_CACHE = "public, max-age=31536000, immutable"

_REGION = re.compile(r"[A-Za-z]{2}")


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    version: str


@caches.shipped
def _assets() -> dict[str, Asset]:
    """Every file we ship under static/, read once per container."""
    found = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.is_file() and STATIC_NAME.fullmatch(path.name):
            body = path.read_text(encoding="utf-8")
            version = hashlib.sha256(body.encode()).hexdigest()[:12]
            found[path.name] = Asset(body, STATIC_TYPES[path.suffix], version)
    return found


def asset(name: str) -> Asset | None:
    """A file under static/, or None for any name that is not one of ours.

    A lookup in the fixed set of shipped files: caching by the requested name
    would keep every made-up name anyone asks for.
    """
    return _assets().get(name)


@caches.shipped
def inline_style() -> Markup:
    """The stylesheet every page carries in its one ``<style>`` element, byte for byte."""
    return Markup(STYLESHEET.read_text(encoding="utf-8"))


@caches.shipped
def inline_style_hash() -> str:
    """The CSP source that allows exactly that stylesheet: ``sha256-<base64>``."""
    digest = hashlib.sha256(inline_style().encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _when(iso: str | None) -> str:
    """``2026-11-27T20:00:00Z`` -> ``27 Nov 2026, 20:00:00 UTC`` (the script shows local time instead)."""
    if not iso:
        return ""
    try:
        moment = clock.parse(iso)
    except ValueError:
        return iso
    return moment.strftime("%-d %b %Y, %H:%M:%S UTC")


def _percent(total, goal) -> float:
    if not goal or not total:
        return 0.0
    return min(100.0, 100.0 * total / goal)


@caches.shipped
def _env(language: str) -> Environment:
    """One environment per language (its catalog installed), made on first use in a container."""
    env = Environment(
        loader=PackageLoader("chalicelib", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them: line breaks in a block are not words
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["thousands"] = lambda n: i18n.format_number(n, language)
    env.filters["when"] = _when
    env.globals["percent"] = _percent
    env.globals["country_name"] = lambda code: countries.names(language).get(code, code)
    env.globals["country_in_sentence"] = countries.in_sentence
    env.globals["language_name"] = lambda code: i18n.language_name(code, language)
    env.globals["rtl"] = i18n.RIGHT_TO_LEFT
    env.globals["inline_style"] = inline_style
    return env


def render(template: str, *, prefix: str = "", **context) -> str:
    """A page in the current language; a ``switch_path`` in the context is where its language links go."""
    switch_path = context.pop("switch_path", None)
    def static_url(name: str) -> str:
        found = asset(name)
        return f"{prefix}/static/{name}?v={found.version if found else '0'}"

    language = i18n.current()
    return _env(language).get_template(template).render(
        prefix=prefix, static_url=static_url, lang=language, dir=i18n.direction(language),
        numbering=i18n.numbering_system(language), languages=i18n_web.switcher(switch_path), **context)


def not_found(prefix: str = "") -> str:
    return render("message.html", prefix=prefix, heading=_("Petition not found"),
                  message=_("There is no petition at this address. Check the link you followed."))


def privacy_page(prefix: str) -> str:
    return render("privacy.html", prefix=prefix)
