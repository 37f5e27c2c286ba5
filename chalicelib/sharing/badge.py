"""The live counter badge: a small SVG with the total (or one country's figure) and the goal.

Drawn from the same totals as ``/totals`` and cached the same way, so a badge in
a README costs one cached totals read. Widths are estimated from the text (no
font metrics on the server): generous, so the words never overflow.
"""
from __future__ import annotations

import hashlib

from chalicelib import i18n
from chalicelib.i18n import countries
from chalicelib.i18n import gettext as _
from chalicelib.web import pages

HEIGHT = 20
CHAR_WIDTH = 7.0  # 11 px sans-serif, a little wide on purpose
PADDING = 12


def _width(text: str) -> int:
    return int(len(text) * CHAR_WIDTH + PADDING)


def svg(petition: dict, figures: dict, country: str | None = None) -> str:
    """The badge for ``figures`` (the totals response); ``country`` picks that country's figure."""
    goal = petition["goal"]
    if country:
        count = int(figures.get("by_country", {}).get(country, 0))
        label = countries.names().get(country, country)
        value = i18n.format_number(count)
        title = _("%(title)s: %(count)s signatures from %(country)s", title=petition["title"],
                  count=value, country=countries.in_sentence(country))
    else:
        count = int(figures.get("total", 0))
        label = _("signatures")
        value = _("%(count)s of %(goal)s", count=i18n.format_number(count), goal=i18n.format_number(goal))
        title = _("%(title)s: %(count)s signatures of a goal of %(goal)s", title=petition["title"],
                  count=i18n.format_number(count), goal=i18n.format_number(goal))
    left, right = _width(label), _width(value)
    return pages.render("badge.svg", label=label, value=value, title=title, left=left, right=right,
                        width=left + right, height=HEIGHT, rtl=i18n.direction() == "rtl")


def etag(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
