"""The languages pages, messages to signers and mail are written in.

Catalogs are gettext ``.mo`` files compiled by ``make translations`` into
``chalicelib/i18n/locale/`` and read with the standard library's gettext, so
answering in French costs no import. Babel (for CLDR number formats) is
imported on first use only, never at cold start.

The language of the request being answered is held in a context variable:
``app.py``'s middleware chooses it (``negotiate``) and the mail sender sets
it for each mail (``using``); ``gettext`` and the page renderer read it.
Source strings are English and English is the fallback for anything missing.
"""
from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from chalicelib.aws import caches

LANGUAGES = ("en", "fr", "es", "ar", "uk")
DEFAULT = "en"
# Each language's name in itself: what a reader of that language looks for in a switcher.
NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية", "uk": "Українська"}
RIGHT_TO_LEFT = frozenset({"ar"})
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


def supported(code: str | None) -> str | None:
    """``fr``, ``FR``, ``fr-CA``, ``fr_FR`` -> ``fr``; None for a language we do not have."""
    if not code or not isinstance(code, str):
        return None
    base = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None


def current() -> str:
    return _current.get()


@contextmanager
def using(language: str | None) -> Iterator[str]:
    """Everything inside speaks ``language`` (the default when it is not one of ours)."""
    chosen = supported(language) or DEFAULT
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def direction(language: str | None = None) -> str:
    return "rtl" if (language or current()) in RIGHT_TO_LEFT else "ltr"


@caches.shipped
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of a language (read once per container); English needs none."""
    if language == DEFAULT or language not in LANGUAGES:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def gettext(message: str, **params) -> str:
    """``message`` in the current language, with ``%(name)s`` placeholders filled from ``params``."""
    text = translations(current()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    text = translations(current()).ngettext(singular, plural, n)
    return text % {"num": format_number(n), **params}


@caches.shipped
def _number_format(language: str):
    from babel import Locale  # lazy: Babel's import and locale data cost nothing on the sign path

    locale = Locale.parse(language)
    return locale, locale.default_numbering_system


def language_name(code: str, in_language: str | None = None) -> str:
    """``fr`` as a reader of ``in_language`` names it inside a sentence (CLDR): anglais, English, الإنجليزية."""
    locale, _system = _number_format(in_language or current())
    return locale.languages.get(code, code)


def numbering_system(language: str | None = None) -> str:
    """CLDR's default digits for the language (``latn`` for all five today), for the script to match."""
    return _number_format(language or current())[1]


def format_number(n, language: str | None = None) -> str:
    """A whole number as CLDR writes it in the language: 1,100,000 / 1 100 000 / 1.100.000."""
    from babel.numbers import format_decimal

    locale, _system = _number_format(language or current())
    return format_decimal(int(n or 0), locale=locale)
