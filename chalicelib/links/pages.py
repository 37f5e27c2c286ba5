"""A mailed link's pages: the page with its one button, and every answer to it, for every kind of link.

Mail scanners follow every link in a message, so a link's GET only shows a
page with one button, and only the button's POST acts.

The pages belong to the one person the link was mailed to: no browser or CDN
keeps them (``no-store``), no search engine indexes them (``noindex``, in the
header and in the page), and the token in the address never leaves in a
Referer (``no-referrer``). Every kind of link answers with ``PRIVATE``.

Each kind of link keeps its words in a table of its own, in its package
(heading and message per step); the shape is one template,
``templates/links/page.html``, drawn in the public layout (in the reader's
language, with the language switcher) or in the admin area's. The signers'
links also share the steps of their views here: reading the token the button
posts, and answering a failure of our storage with a 503 page.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from chalice import Response
from markupsafe import Markup

from chalicelib.aws import clients
from chalicelib.i18n import gettext as _
from chalicelib.links.steps import Step
from chalicelib.web import bodies, pages, responses

log = logging.getLogger(__name__)

PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
PUBLIC_LAYOUT = "base.html"
ADMIN_LAYOUT = "admin/_layout.html"

Texts = Mapping[Step, tuple[str, str]]  # a kind of link's heading and message for each step it can reach
T = TypeVar("T")


@dataclass(frozen=True)
class Link:
    """A way on from the page; ``href`` is under the stage's prefix."""

    href: str
    label: str
    button: bool = False  # drawn as a button: the one thing the reader most likely wants next


@dataclass(frozen=True)
class Button:
    """The page's one form: it POSTs ``fields`` (the token, or the admin's form token) to ``action``."""

    action: str  # under the stage's prefix
    label: str
    fields: Mapping[str, str]
    note: str = ""  # above the button: what pressing it does


@dataclass(frozen=True)
class Page:
    title: str
    heading: str
    message: str = ""  # plain text, or Markup from ``marked``
    petition: Mapping | None = None  # a petition's public view: named under the message, linked to its sign page
    button: Button | None = None
    note: str = ""  # after the button, in small print
    links: Sequence[Link] = ()


def common_texts() -> dict[Step, tuple[str, str]]:
    """The answers every signer's link gives in the same words, in the current language."""
    return {
        Step.UNREADABLE: (_("We couldn't read that request"),
                          _("Please go back to the email we sent you and open the link again.")),
        Step.UNAVAILABLE: (_("We couldn't do that just now"),
                           _("Something went wrong on our side. Please try again in a minute.")),
    }


def marked(translated: str, **values: str) -> Markup:
    """A translated sentence that carries markup of its own (``<strong>``): the values are escaped, it is not."""
    return Markup(translated) % values


def way_on(petition: Mapping | None) -> Link:
    """The last line of a signer's page: the petition's count, or the open petitions when there is no petition."""
    if petition is None:
        return Link("/", _("See the open petitions"))
    return Link(f"/petitions/{petition['petition_id']}/dashboard", _("See the petition's count"))


def outcome(texts: Texts, step: Step, *, message: str | None = None, petition: Mapping | None = None,
            button: Button | None = None, links: Sequence[Link] = ()) -> Page:
    """An answer: the step's heading (also the page's title) and message from the kind's table."""
    heading, written = texts[step]
    return Page(title=heading, heading=heading, message=written if message is None else message, petition=petition,
                button=button, links=links)


def render(page: Page, prefix: str, layout: str = PUBLIC_LAYOUT) -> str:
    return pages.render("links/page.html", prefix=prefix, layout=layout, page=page)


def respond(status: int, body: str, headers: Mapping[str, str | list[str]] | None = None) -> Response:
    """An HTML answer to a link: never stored, never indexed, no Referer."""
    return responses.html(status, body, cache=responses.NO_STORE, headers={**PRIVATE, **(headers or {})})


def no_petition(prefix: str) -> Response:
    """A signer's link to a petition that is not there: the site's 404 page."""
    return respond(404, pages.not_found(prefix))


def posted_token(raw: bytes | str, content_type: str | None) -> tuple[str, bodies.BodyError | None]:
    """The token a button's form (or a script's JSON) posts, or the reason the body cannot be read."""
    try:
        fields = bodies.read(raw, content_type)
    except bodies.BodyError as exc:
        return "", exc
    token = fields.get("token")
    return (token if isinstance(token, str) else ""), None


def attempt(act: Callable[[], T], unavailable: T, failures: tuple[type[BaseException], ...], what: str,
            petition_id: str) -> T:
    """What ``act`` answers, or ``unavailable`` when our storage or a secret fails (logged: a 503, never a 500)."""
    try:
        return act()
    except failures as exc:
        log.error("%s unavailable petition=%s error=%s", what, petition_id, clients.error_code(exc))
        return unavailable
