"""Who may show our pages inside a frame: nobody, except on the embeddable form's routes.

One decision for every response, by route: ``frame_ancestors`` says what the
``frame-ancestors`` directive of the Content-Security-Policy is. A page that
is not the embed says ``'none'`` (no clickjacking of the sign form or the
admin area); the embed says the petition's allowed sites, or ``*`` when it
lists none. chalicelib/web/security_headers.py puts it into each page's policy.
"""
from __future__ import annotations

from collections.abc import Iterable

NOBODY = "'none'"


def frame_ancestors(embeddable: bool, origins: Iterable[str] = ()) -> str:
    """The frame-ancestors sources for a response: the embed's sites (``*`` for any), else nobody."""
    if not embeddable:
        return NOBODY
    listed = sorted(set(origins))
    return " ".join(listed) if listed else "*"
