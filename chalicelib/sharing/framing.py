"""Who may show our pages inside a frame: nobody, except on the embeddable form's routes.

One decision for every response, by route: ``frame_ancestors`` says what the
``frame-ancestors`` directive of the Content-Security-Policy is. A page that
is not the embed says ``'none'`` (no clickjacking of the sign form or the
admin area); the embed says the petition's allowed sites, or ``*`` when it
lists none. A fuller Content-Security-Policy built elsewhere should take its
``frame-ancestors`` from here.
"""
from __future__ import annotations

from collections.abc import Iterable

from chalice import Response

NOBODY = "'none'"
HEADER = "Content-Security-Policy"


def frame_ancestors(embeddable: bool, origins: Iterable[str] = ()) -> str:
    """The frame-ancestors sources for a response: the embed's sites (``*`` for any), else nobody."""
    if not embeddable:
        return NOBODY
    listed = sorted(set(origins))
    return " ".join(listed) if listed else "*"


def embed_headers(origins: Iterable[str]) -> dict[str, str]:
    return {HEADER: f"frame-ancestors {frame_ancestors(True, origins)}"}


def refuse_framing_unless_decided(response: Response) -> Response:
    """Every response that did not decide otherwise (only the embed does) may not be framed."""
    if HEADER not in response.headers:
        response.headers[HEADER] = f"frame-ancestors {frame_ancestors(False)}"
    return response
