"""The message catalogs: complete in every language, in step with the code, and compiled as committed."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from chalicelib import i18n
from tools import translations

TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def catalog(language: str):
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open("rb") as f:
        return read_po(f, locale=language)


def template_ids() -> set:
    with translations.POT.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_the_template_holds_every_marked_string_in_the_code():
    """A string marked in a template or module but missing from messages.pot means `make translations` was not run."""
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
               "templates/**.txt": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(Path(translations.ROOT / "chalicelib")), method_map, options, keywords=keywords):
        found.add(message)
    with (translations.ROOT / "app.py").open("rb") as f:
        from babel.messages.extract import extract
        found |= {m[1] for m in extract("python", f, keywords=keywords)}
    assert found - template_ids() == set()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language):
    po = catalog(language)
    ids = template_ids()
    missing = [m.id for m in po if m.id and (not m.string or not all(m.string) or m.fuzzy)]
    assert missing == []
    assert {m.id for m in po if m.id} >= ids


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language):
    """A translation that drops or renames %(title)s would fail at render time, or lose the figure."""
    for message in catalog(language):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(sources[-1]))
        for text in (message.string if isinstance(message.string, tuple) else (message.string,)):
            used = set(PLACEHOLDER.findall(text))
            # A plural form may spell its number out ("un jour"), so only the other names must stay.
            assert used - {"num", "count"} <= wanted and wanted - {"num", "count"} <= used, (message.id, text)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_matches_its_source(language):
    """The function reads the .mo files: they must say what the .po files say (run `make translations`)."""
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    with path.open("rb") as f:
        compiled = read_mo(f)
    def pairs(messages):
        return {(tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id,
                 tuple(m.string) if isinstance(m.string, (list, tuple)) else m.string) for m in messages if m.id}

    assert pairs(compiled) == pairs(catalog(language))


def test_plural_rules_come_from_cldr():
    """Arabic has six plural forms and Ukrainian three: a catalog with two would say "5 день"."""
    assert {language: catalog(language).num_plurals for language in TRANSLATED} == {
        "fr": 2, "es": 2, "ar": 6, "uk": 3}


def test_the_country_lists_are_what_babel_and_the_collation_give():
    assert translations.countries_json(translations.country_lists()) == translations.COUNTRIES.read_text("utf-8")


def test_gettext_falls_back_to_english_for_an_unknown_message():
    with i18n.using("fr"):
        assert i18n.gettext("A sentence nobody translated.") == "A sentence nobody translated."
        assert i18n.gettext("Enter your name.") == "Saisissez votre nom."


@pytest.mark.parametrize("language, n, expected", [
    ("en", 1, "1 day"), ("en", 7, "7 days"),
    ("fr", 1, "1 jour"), ("fr", 30, "30 jours"),
    ("uk", 1, "1 день"), ("uk", 3, "3 дні"), ("uk", 7, "7 днів"), ("uk", 21, "21 день"),
    ("ar", 1, "يوم واحد"), ("ar", 2, "يومين"), ("ar", 7, "7 أيام"), ("ar", 30, "30 يومًا"),
])
def test_plurals_follow_each_language(language, n, expected):
    with i18n.using(language):
        assert i18n.ngettext("%(num)s day", "%(num)s days", n) == expected


def test_every_catalog_parses():
    """The .po files are UTF-8 and parse (a merge conflict marker left in one would not)."""
    for language in i18n.LANGUAGES:
        raw = (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").read_bytes()
        read_po(io.BytesIO(raw))
        assert b"<<<<<<<" not in raw
