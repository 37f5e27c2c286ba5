"""Our storage failing is not the visitor's fault: a 503 that says so, never a 500.

Chalice turns an exception in a route into a bare 500 before any middleware
sees it, so each read route is wrapped here instead.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from chalice import Response

from chalicelib.aws import clients
from chalicelib.i18n import N_
from chalicelib.i18n import gettext as _
from chalicelib.web import pages, responses

log = logging.getLogger(__name__)

MESSAGE = N_("We can't show this just now. Please try again in a minute.")
RETRY_AFTER = {"Retry-After": "30"}


def _guarded(view: Callable[..., Response], answer: Callable[[], Response]) -> Callable[..., Response]:
    @functools.wraps(view)
    def guarded(*args, **kwargs) -> Response:
        try:
            return view(*args, **kwargs)
        except clients.STORAGE_ERRORS as exc:
            log.error("storage unavailable route=%s error=%s", view.__name__, clients.error_code(exc))
            return answer()
    return guarded


def page(prefix: Callable[[], str]) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """For HTML routes: a storage failure answers a 503 page (``prefix`` gives the stage path for its links)."""
    def wrap(view: Callable[..., Response]) -> Callable[..., Response]:
        return _guarded(view, lambda: responses.html(
            503, pages.render("message.html", prefix=prefix(), heading=_("Please try again in a minute"),
                              message=_(MESSAGE)),
            cache=responses.NO_STORE, headers=RETRY_AFTER))
    return wrap


def json(view: Callable[..., Response]) -> Callable[..., Response]:
    """A JSON route: a storage failure answers a 503 error body."""
    return _guarded(view, lambda: responses.error(503, _(MESSAGE), {**responses.PUBLIC, **RETRY_AFTER,
                                                                  "Cache-Control": responses.NO_STORE}))
