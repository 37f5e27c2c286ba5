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


# Names that take "the" inside an English sentence ("8,500 from the United Kingdom").
WITH_ARTICLE = frozenset({
    "AE", "BS", "CF", "CG", "CK", "DO", "FO", "GB", "GM", "KM", "KY", "MH", "MP", "MV", "NL", "PH", "SB", "SC",
    "TC", "UM", "US",
})


def in_sentence(code: str) -> str:
    """The country's name as it reads after "from": ``GB`` -> ``the United Kingdom``, ``FR`` -> ``France``."""
    name = names().get(code, code)
    return f"the {name}" if code in WITH_ARTICLE and not name.lower().startswith("the ") else name
