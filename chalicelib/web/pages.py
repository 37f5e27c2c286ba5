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
from functools import cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from chalicelib import i18n
from chalicelib.aws import clock, config
from chalicelib.fraud import challenge
from chalicelib.i18n import countries
from chalicelib.i18n import gettext as _
from chalicelib.i18n import web as i18n_web
from chalicelib.signing import submission
from chalicelib.tally import totals
from chalicelib.web import origin_guard

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


@cache
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


@cache
def inline_style() -> Markup:
    """The stylesheet every page carries in its one ``<style>`` element, byte for byte."""
    return Markup(STYLESHEET.read_text(encoding="utf-8"))


@cache
def inline_style_hash() -> str:
    """The CSP source that allows exactly that stylesheet: ``sha256-<base64>``."""
    digest = hashlib.sha256(inline_style().encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def likely_country(viewer_country: str | None, accept_language: str | None) -> str | None:
    """The visitor's probable country, to preselect in the form.

    CloudFront's ``CloudFront-Viewer-Country`` (from the IP address) wins; else
    the region of the most preferred Accept-Language tag that has one
    (``en-GB`` -> ``GB``, ``zh-Hant-TW`` -> ``TW``); else None. A bare language
    (``fr``) says nothing reliable about where someone lives.
    """
    if viewer_country:
        code = viewer_country.strip().upper()
        if countries.is_country(code):
            return code
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        for subtag in re.split(r"[-_]", tag)[1:]:
            if _REGION.fullmatch(subtag) and countries.is_country(subtag.upper()):
                return subtag.upper()
    return None


def share_url(petition_id: str) -> str | None:
    """The petition's sign page as a link to send to others, or None.

    Built from the configured public address only: the request's Host and
    X-Forwarded-* headers are whatever the sender wrote, and a link built
    from them points wherever they like. With no address configured, pages
    offer no share link rather than guess one.
    """
    base = config.settings().public_base_url
    return f"{base}/petitions/{petition_id}/sign" if base else None


def share_links(url: str, title: str) -> list[tuple[str, str]]:
    """Plain links to each service's own share page: no scripts of theirs load here."""
    text = _("I signed: %(title)s", title=title)
    u, t = quote(url, safe=""), quote(text, safe="")
    return [
        (_("Email"), f"mailto:?subject={quote(title, safe='')}&body={t}%0A{u}"),
        ("WhatsApp", f"https://wa.me/?text={t}%20{u}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={u}"),
        ("X", f"https://x.com/intent/tweet?text={t}&url={u}"),
        ("Bluesky", f"https://bsky.app/intent/compose?text={t}%20{u}"),
    ]


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


@cache
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
    env.globals["challenge_site_key"] = challenge.site_key  # read per page: settings change in tests
    env.globals["challenge_script"] = challenge.SCRIPT_URL
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


def sign_page(petition: dict, prefix: str, *, fields: dict | None = None, errors: dict | None = None,
              country: str | None = None, total: int | None = None, figures: dict | None = None,
              share_url: str | None = None) -> str:
    """The sign page; with ``fields`` and ``errors`` it is the 422 re-render of a form post."""
    fields = fields or {}
    kept = {k: v for k, v in fields.items() if isinstance(v, str)}
    source = submission.campaign_code(kept.pop("source", None), petition["petition_id"])
    if source:
        kept["source"] = source
    selected = (kept.get("country") or "").strip().upper() or country
    if figures is not None:
        total = figures["total"]
    return render(
        "sign.html",
        petition=petition,
        prefix=prefix,
        fields=kept,
        errors=errors or {},
        countries=countries.names(),
        switch_path=f"{prefix}/petitions/{petition['petition_id']}/sign",
        selected_country=selected,
        total=total,
        by_country=(figures or {}).get("by_country", {}),
        # The campaign's featured country when it has one, else the visitor's likely country.
        figure_country=petition.get("featured_country") or selected,
        targets_line=targets_line(figures),
        share_url=share_url,
        # The card's address is absolute, like the share link: services fetch it from elsewhere.
        card_url=f"{share_url.rsplit('/', 1)[0]}/card.png?lang={i18n.current()}" if share_url else None,
        shares=share_links(share_url, petition["title"]) if share_url else [],
        direct_sign_url=origin_guard.direct_sign_url(petition["petition_id"]),
    )


def targets_line(figures: dict | None, reached: str | None = None) -> str:
    """``7 of 7 countries over their threshold``, or '' when the petition sets no targets.

    With ``reached`` (``{reached}``), the line as a template the dashboard's script fills in.
    """
    if not figures or not figures.get("targets"):
        return ""
    targets = figures["targets"]
    return i18n.ngettext("%(reached)s of %(num)s country over its threshold",
                         "%(reached)s of %(num)s countries over their threshold", len(targets),
                         reached=reached or i18n.format_number(len(figures.get("targets_reached") or [])))


def thanks_path(prefix: str, petition_id: str) -> str:
    """The built-in thanks page, in the language the signer just read the form in."""
    return f"{prefix}/petitions/{petition_id}/thanks?lang={i18n.current()}"


def thanks_page(petition: dict, prefix: str, *, figures: dict | None, share_url: str | None,
                embed_snippet: str | None = None) -> str:
    return render("thanks.html", petition=petition, prefix=prefix,
                  total=(figures or {}).get("total"), share_url=share_url, embed_snippet=embed_snippet,
                  shares=share_links(share_url, petition["title"]) if share_url else [])


def dashboard_page(petition: dict, prefix: str, *, figures: dict | None) -> str:
    figures = figures or {"total": 0, "by_country": {}, "goal": petition["goal"], "updated_at": None}
    by_country = figures["by_country"]
    top = max(by_country.values(), default=0)
    return render("dashboard.html", petition=petition, prefix=prefix, figures=figures,
                  top=top, names=countries.names(), etag=totals.etag(figures) if "petition_id" in figures else "",
                  targets_line=targets_line(figures), targets_template=targets_line(figures, "{reached}"))


def index_page(open_petitions: list[dict], prefix: str) -> str:
    return render("index.html", petitions=open_petitions, prefix=prefix)


def privacy_page(prefix: str) -> str:
    return render("privacy.html", prefix=prefix)
