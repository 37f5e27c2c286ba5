"""Per-country targets: which countries have reached theirs.

The EU Citizens' Initiative counts only with a minimum in at least seven
member states; a campaign can set such thresholds per country and follow
them on the dashboard. Pure functions over the public totals.
"""
from __future__ import annotations


def reached(by_country: dict[str, int], targets: dict[str, int]) -> list[str]:
    """The countries whose count is at or over their target, in code order."""
    return sorted(code for code, target in targets.items() if by_country.get(code, 0) >= target)


def with_targets(figures: dict, targets: dict[str, int] | None) -> dict:
    """The totals response with ``targets`` and ``targets_reached`` added (existing fields unchanged)."""
    targets = {code: int(n) for code, n in sorted((targets or {}).items())}
    return {**figures, "targets": targets, "targets_reached": reached(figures.get("by_country") or {}, targets)}
