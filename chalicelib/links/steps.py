"""What a mailed link's page can say: one list of steps for every kind of link, and the HTTP status of each.

Each kind of link uses the steps it can reach (only confirmation resends,
only removal erases). A step's status is the same whatever the link: every
problem the signer can read about is its own 4xx, and only our own storage
failing is a 5xx (503), never a 500.

The values are part of what clients see (the confirmation's JSON ``status``
and ``reason``, the pages' markup): they do not change.
"""
from __future__ import annotations

from enum import StrEnum

from chalicelib.links.signed import LinkState


class Step(StrEnum):
    READY = "ready"  # the page with the button
    CONFIRMED = "confirmed"  # the button confirmed (a signature, or the wish for campaign updates)
    ERASED = "erased"  # the button removed the signature
    ALREADY = "already_confirmed"
    RESENT = "resent"  # a fresh link is on its way
    BROKEN = "broken_link"  # no token, or one that is not ours
    WRONG_PETITION = "wrong_petition"
    NO_PETITION = "no_petition"
    GONE = "signature_gone"  # deleted, expired unconfirmed, or never stored
    CLOSED = "petition_closed"
    EXPIRED = "link_expired"
    CAPPED = "too_many_links"
    UNREADABLE = "unreadable_request"
    UNAVAILABLE = "unavailable"


STATUS: dict[Step, int] = {
    Step.READY: 200, Step.CONFIRMED: 200, Step.ERASED: 200, Step.ALREADY: 200, Step.RESENT: 200,
    Step.BROKEN: 400, Step.UNREADABLE: 400,  # an unreadable body answers with its own status (413, 415) when it has one
    Step.WRONG_PETITION: 404, Step.NO_PETITION: 404, Step.GONE: 404,
    Step.CLOSED: 409, Step.EXPIRED: 410, Step.CAPPED: 429, Step.UNAVAILABLE: 503,
}


def refused(state: LinkState) -> Step:
    """The answer to a token that names nothing usable: an expired link says so (ask again), any other is broken."""
    return Step.EXPIRED if state == LinkState.EXPIRED else Step.BROKEN
