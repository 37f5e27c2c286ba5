"""Countries: ISO 3166-1 alpha-2 codes from pycountry, names in each page language from CLDR.

The names and their order per language are in ``i18n/countries.json``, made
by ``make translations`` from Babel's CLDR territory names, sorted by the
language's collation (see tools/translations.py); a test keeps the file equal
to what the pinned Babel gives.
"""
from __future__ import annotations

import json
from pathlib import Path

import pycountry

from chalicelib import i18n
from chalicelib.aws import caches

NAMES_FILE = Path(__file__).resolve().parent / "countries.json"


@caches.shipped
def codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@caches.shipped
def _lists() -> dict[str, dict[str, str]]:
    raw = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    return {language: dict((code, name) for code, name in pairs) for language, pairs in raw.items()}


def names(language: str | None = None) -> dict[str, str]:
    """Alpha-2 code -> the country's name in the language (the page's by default), in its sorting order."""
    return _lists()[language or i18n.current()]


def is_country(code: str) -> bool:
    return code in codes()


# Names that take "the" inside an English sentence ("8,500 from the United Kingdom").
WITH_ARTICLE = frozenset({
    "AE", "BS", "CF", "CG", "CK", "DO", "FO", "GB", "GM", "KM", "KY", "MH", "MP", "MV", "NL", "PH", "SB", "SC",
    "TC", "UM", "US",
})


def in_sentence(code: str) -> str:
    """The country's name as it reads in "N from ...": ``GB`` -> ``the United Kingdom`` in English.

    Other languages' sentences put the name where no article is needed
    (``Royaume-Uni : 8 500``), so they get the name itself.
    """
    name = names().get(code, code)
    if i18n.current() != "en":
        return name
    return f"the {name}" if code in WITH_ARTICLE and not name.lower().startswith("the ") else name
