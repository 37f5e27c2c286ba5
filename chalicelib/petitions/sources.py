"""Sources: the code a partner's link carries (``?source=``), so a petition's figures show who brought signers.

A source is attribution, not the signer's input: they never see it and cannot correct it. An invalid one
(a link mangled in transit, or made to break the form for everyone who follows it) is dropped and counted in
a log line, never refused, so it cannot stop anyone signing. The value itself is not logged: it is whatever
the link's author typed.
"""
from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def valid(value) -> str | None:
    """``value`` when it is a well-formed source, else None (silently: the sign path has counted it already)."""
    return value if isinstance(value, str) and PATTERN.fullmatch(value) else None


def source_code(value, petition_id: str) -> str | None:
    """The source a link carried, or None; a dropped one is counted in the log."""
    code = valid(value)
    if code is None and value not in (None, ""):
        log.info("source dropped petition=%s", petition_id)
    return code
