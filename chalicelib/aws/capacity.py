"""DynamoDB's billing arithmetic: an item's size as DynamoDB bills it, and the write units it costs."""
from __future__ import annotations

import math

# DynamoDB charges one write unit per started KB of item.
WRITE_UNIT_BYTES = 1024


def item_size(item: dict) -> int:
    """A typed item's size as DynamoDB bills it: attribute names plus values."""
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in item.items())


def _value_size(typed: dict) -> int:
    (kind, value), = typed.items()
    if kind == "S":
        return len(value.encode("utf-8"))
    if kind == "N":
        return len(value.lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(value)
    if kind == "M":
        return 3 + item_size(value)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in value)
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in value)
    return 1  # BOOL, NULL


def write_units(size: int) -> int:
    """One write unit per started KB."""
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))
