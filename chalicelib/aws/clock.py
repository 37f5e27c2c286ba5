"""UTC timestamps as this project writes them: ``2026-11-29T07:22:01Z``, and epoch seconds."""
from __future__ import annotations

from datetime import UTC, datetime

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | float | int) -> datetime:
    """A datetime in UTC from a datetime (a naive one is taken as UTC) or epoch seconds."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.fromtimestamp(moment, UTC)


def stamp(moment: datetime | float | int | None = None) -> str:
    """The stored form of a moment, to the second: ``2026-11-29T07:22:01Z`` (now if None)."""
    return as_utc(utc_now() if moment is None else moment).strftime(STAMP_FORMAT)


def parse(text: str) -> datetime:
    """An ISO 8601 moment (``Z`` allowed); a naive one is taken as UTC. ValueError if unreadable."""
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def epoch(moment: datetime | float | int) -> float:
    """Epoch seconds from a datetime (a naive one is taken as UTC) or a number."""
    return as_utc(moment).timestamp() if isinstance(moment, datetime) else float(moment)
