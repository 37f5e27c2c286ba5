"""Campaigners' figures for one petition (admin only): signatures by source, the latest signatures, partner links.

Read from the same totals items as the public figures (one strongly
consistent Query), where the stream tally counts them in its one write per
batch: nothing here scans the signatures table, and nothing here is ever part
of a public answer (``/totals``, the badge, OSDI and the public pages read
only ``totals.view``). The latest signatures carry their minute, country and
source bucket, nothing about who signed.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from chalicelib.i18n import countries
from chalicelib.sharing import links
from chalicelib.tally import totals


def _when(minute: str) -> str:
    """``2026-11-29T13:44`` -> ``29 Nov 2026, 13:44 UTC`` (the stored text when it is not a minute)."""
    try:
        moment = datetime.strptime(minute, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    except ValueError:
        return minute
    return moment.strftime("%-d %b %Y, %H:%M UTC")


def partner_links(petition_id: str, registered: list[str]) -> list[dict[str, str]]:
    """A sign-page link per registered code, from the configured public address (none without one)."""
    base = links.share_url(petition_id)
    if not base:
        return []
    return [{"source": code, "url": f"{base}?source={quote(code, safe='')}"} for code in registered]


def by_source(counted: dict[str, int], registered: list[str]) -> list[dict[str, Any]]:
    """Rows of source, count and share of the counted signatures: every registered code (zero too), then the rest."""
    figures = {code: 0 for code in registered}
    figures.update(counted)
    whole = sum(figures.values())
    rows = sorted(figures.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"source": code, "count": n, "share": round(n / whole, 4) if whole else 0.0,
             "registered": code in registered} for code, n in rows]


def for_petition(petition_id: str, registered: list[str] | None) -> dict[str, Any]:
    registered = list(registered or [])
    view = totals.sources_view(totals.petition_items(petition_id))
    names = countries.names()
    latest = [{**entry, "country_name": names.get(entry["country"], entry["country"]),
               "when": _when(entry["minute"])} for entry in view["recent"]]
    return {"by_source": by_source(view["by_source"], registered), "latest": latest,
            "partner_links": partner_links(petition_id, registered)}
