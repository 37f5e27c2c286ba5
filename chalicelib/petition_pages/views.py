"""The public petition pages: the list of open petitions, the sign page, the thanks page and the dashboard.

Each renders one template (chalicelib/templates/) through web/pages.py, in the request's language.
"""
from __future__ import annotations

import re

from chalicelib import i18n
from chalicelib.fraud import challenge
from chalicelib.i18n import countries, negotiation
from chalicelib.petitions import sources
from chalicelib.sharing import links
from chalicelib.tally import totals
from chalicelib.web import origin_guard
from chalicelib.web.pages import render

_REGION = re.compile(r"[A-Za-z]{2}")


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
    for tag in negotiation.preferred_tags(accept_language):
        for subtag in re.split(r"[-_]", tag)[1:]:
            if _REGION.fullmatch(subtag) and countries.is_country(subtag.upper()):
                return subtag.upper()
    return None


def sign_page(petition: dict, prefix: str, *, fields: dict | None = None, errors: dict | None = None,
              country: str | None = None, total: int | None = None, figures: dict | None = None,
              share_url: str | None = None) -> str:
    """The sign page; with ``fields`` and ``errors`` it is the 422 re-render of a form post."""
    fields = fields or {}
    kept = {k: v for k, v in fields.items() if isinstance(v, str)}
    source = sources.source_code(kept.pop("source", None), petition["petition_id"])
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
        shares=links.share_links(share_url, petition["title"]) if share_url else [],
        direct_sign_url=origin_guard.direct_sign_url(petition["petition_id"]),
        challenge_site_key=challenge.site_key,  # read per page: settings change in tests
        challenge_script=challenge.SCRIPT_URL,
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
                  shares=links.share_links(share_url, petition["title"]) if share_url else [])


def dashboard_page(petition: dict, prefix: str, *, figures: dict | None) -> str:
    figures = figures or {"total": 0, "by_country": {}, "goal": petition["goal"], "updated_at": None}
    by_country = figures["by_country"]
    top = max(by_country.values(), default=0)
    return render("dashboard.html", petition=petition, prefix=prefix, figures=figures,
                  top=top, names=countries.names(), etag=totals.etag(figures) if "petition_id" in figures else "",
                  targets_line=targets_line(figures), targets_template=targets_line(figures, "{reached}"))


def index_page(open_petitions: list[dict], prefix: str) -> str:
    return render("index.html", petitions=open_petitions, prefix=prefix)


