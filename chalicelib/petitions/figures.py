"""A petition's public figures: its totals, with which countries reached their targets."""
from __future__ import annotations

from chalicelib.petitions import catalog, targets
from chalicelib.tally import totals


def of(petition: dict) -> dict | None:
    """The figures of a petition already loaded (its public view); None before its totals exist."""
    figures = totals.read(petition["petition_id"])
    return None if figures is None else targets.with_targets(figures, petition["country_targets"])


def of_id(petition_id: str) -> dict | None:
    """The totals response: None for no petition or a draft (its configuration is cached, like the sign path's)."""
    petition = catalog.load(petition_id)
    figures = totals.read(petition_id) if petition is not None else None
    if petition is None or figures is None:
        return None
    return targets.with_targets(figures, catalog.targets_of(petition))
