"""Share links: the petition's public address, and plain links to each service's own share page."""
from __future__ import annotations

from urllib.parse import quote

from chalicelib.aws import config
from chalicelib.i18n import gettext as _


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
