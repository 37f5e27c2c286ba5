"""The embeddable sign form: the petition's form without the site around it, for an iframe on a partner's site.

It posts like the full form (one write, the same rules). Its answers stay
embeddable: a good signature returns to the embed's thanks state, a form with
errors is drawn again inside the frame. ``embed.js`` tells the host page the
frame's height with ``postMessage``; ``embed-host.js`` on the partner's page
sets it (the snippet on the thanks page and in the README loads it).
"""
from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from chalicelib import i18n
from chalicelib.aws import config
from chalicelib.fraud import challenge
from chalicelib.i18n import countries
from chalicelib.i18n import gettext as _
from chalicelib.petitions import sources
from chalicelib.web import pages

FLAG = "embed"  # the query parameter that marks a form post from the embed


def path(prefix: str, petition_id: str, **query: str) -> str:
    return f"{prefix}/petitions/{petition_id}/embed?{urlencode({'lang': i18n.current(), **query})}"


def page(petition: dict, prefix: str, *, signed: bool = False, fields: dict | None = None,
         errors: dict | None = None, total: int | None = None) -> str:
    kept = {k: v for k, v in (fields or {}).items() if isinstance(v, str)}
    source = sources.source_code(kept.pop("source", None), petition["petition_id"])
    if source:
        kept["source"] = source
    return pages.render("embed.html", petition=petition, prefix=prefix, signed=signed, fields=kept,
                        errors=errors or {}, countries=countries.names(), total=total,
                        selected_country=(kept.get("country") or "").strip().upper() or None,
                        full_page=f"{prefix}/petitions/{petition['petition_id']}/sign",
                        switch_path=f"{prefix}/petitions/{petition['petition_id']}/embed",
                        challenge_site_key=challenge.site_key, challenge_script=challenge.SCRIPT_URL)


def snippet(petition_id: str, title: str) -> str | None:
    """The HTML a partner pastes into their page, or None without a configured public address."""
    base = config.settings().public_base_url
    if not base:
        return None
    src = f"{base}/petitions/{petition_id}/embed?lang={i18n.current()}"
    return (f'<iframe src="{escape(src)}" title="{escape(_("Sign: %(title)s", title=title))}" width="100%" '
            f'height="720" loading="lazy" data-countersign-embed></iframe>\n'
            f'<script src="{escape(base)}/static/embed-host.js" defer></script>')
