"""What every feature's routes share: a Chalice Blueprint with the current request, its stage prefix and query.

Each feature package registers its routes, stream handlers and schedules on one ``Routes`` in its
``routes.py``; ``app.py`` registers the blueprints. Chalice names a blueprint's functions as it names
the app's (the function's name), so the template's logical IDs do not depend on where a handler lives.
"""
from __future__ import annotations

from collections.abc import Callable

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.web import outages, responses

# Content types a route accepts. ANY: every type reaches the handler, which answers 415 in our own words.
ANY = ["*/*"]
FORM = ["application/x-www-form-urlencoded"]
JSON = ["application/json"]


class Routes(Blueprint):
    """A feature's blueprint."""

    @property
    def request(self) -> Request:
        """The request being handled (Chalice sets it for the duration of every route)."""
        return self.current_request

    def prefix(self) -> str:
        """The stage's path before every route (``/api`` on a REST stage), for links in pages."""
        return responses.stage_prefix(self.current_request)

    def query(self) -> dict[str, str]:
        return dict(self.current_request.query_params or {})

    def token(self) -> str:
        """A mailed link's ``?token=``, or ''."""
        return self.query().get("token", "")

    def outage_page(self, view: Callable[..., Response]) -> Callable[..., Response]:
        """An HTML read route: a storage failure answers our 503 page, not Chalice's bare 500."""
        return outages.page(self.prefix)(view)
