"""ISO 3166-1 alpha-2 countries, from pycountry."""
from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def names() -> dict[str, str]:
    """Alpha-2 code -> readable name, sorted by name."""
    pairs = ((c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries)
    return dict(sorted(pairs, key=lambda pair: pair[1]))


def is_country(code: str) -> bool:
    return code in names()
