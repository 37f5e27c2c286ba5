"""`make translations`: extract the messages, merge them into each catalog, compile, and list countries.

1. ``pybabel extract`` reads every marked string in chalicelib/ (Python and Jinja2 templates,
   the mapping in babel.cfg) into chalicelib/i18n/messages.pot;
2. ``pybabel update`` merges it into each language's messages.po (new strings arrive empty,
   and the catalog test fails until someone translates them);
3. ``pybabel compile`` writes the messages.mo files the deployed function reads;
4. chalicelib/i18n/countries.json gets every country's CLDR name in each language, in that
   language's collation order (see ``country_lists``).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "chalicelib" / "i18n"
POT = I18N / "messages.pot"
LOCALES = I18N / "locale"
COUNTRIES = I18N / "countries.json"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def country_lists() -> dict[str, list[list[str]]]:
    """Each language's [code, name] pairs, sorted as a reader of that language expects.

    Names are Babel's CLDR territory names for the ISO 3166-1 countries we accept
    (pycountry's list). Order is the Unicode Collation Algorithm (pyuca, pure
    Python, pinned in requirements-dev.txt): ICU is not installable here and
    the C locale's ``strxfrm`` depends on what the machine has. The default
    table sorts accented Latin letters with their base letter (É with E),
    Ukrainian as its alphabet (Є after Е, І and Ї after И), and Arabic by its
    letters; no CLDR tailoring of these five languages changes the order of
    country names. The order is computed here, once, so the function ships a
    list and neither pyuca nor the collation table.
    """
    import pycountry
    import pyuca
    from babel import Locale

    from chalicelib.i18n import LANGUAGES

    collator = pyuca.Collator()
    codes = [c.alpha_2 for c in pycountry.countries]
    lists = {}
    for language in LANGUAGES:
        territories = Locale.parse(language).territories
        pairs = [(code, territories.get(code) or code) for code in codes]
        pairs.sort(key=lambda pair: (collator.sort_key(pair[1]), pair[0]))
        lists[language] = [list(pair) for pair in pairs]
    return lists


def write_countries() -> None:
    COUNTRIES.write_text(countries_json(country_lists()), encoding="utf-8")


def countries_json(lists: dict[str, list[list[str]]]) -> str:
    """One country a line, so a change of name or order reads as a small diff."""
    blocks = []
    for language, pairs in lists.items():
        rows = ",\n".join(json.dumps(pair, ensure_ascii=False) for pair in pairs)
        blocks.append(f"{json.dumps(language)}: [\n{rows}\n]")
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def main() -> None:
    from chalicelib.i18n import DOMAIN, LANGUAGES

    _pybabel("extract", "--mapping-file", "babel.cfg", "--output-file", str(POT.relative_to(ROOT)),
             "--keywords", "N_", "--no-location", "--omit-header", "--sort-output", "chalicelib", "app.py")
    for language in LANGUAGES:
        po = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            _pybabel("update", "--input-file", str(POT), "--output-dir", str(LOCALES), "--domain", DOMAIN,
                     "--locale", language, "--no-fuzzy-matching", "--ignore-obsolete")
        else:
            _pybabel("init", "--input-file", str(POT), "--output-dir", str(LOCALES), "--domain", DOMAIN,
                     "--locale", language)
    _pybabel("compile", "--directory", str(LOCALES), "--domain", DOMAIN, "--statistics")
    write_countries()


if __name__ == "__main__":
    main()
