"""What a petition's fields may hold: one rule per field, messages written for the campaign team.

The admin area's form and JSON API and ``make petition`` all read a petition
through ``parse``, so the three cannot disagree. Each field arrives either as
JSON gives it (asks as a list, targets as an object) or as a form gives it
(one ask per line, one ``GB 1000`` target per line).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from chalicelib import i18n
from chalicelib.aws import clock
from chalicelib.i18n import countries
from chalicelib.petitions import markdown, sources
from chalicelib.petitions.catalog import PETITION_ID
from chalicelib.tally import totals

MAX_ASKS = 12
MAX_TARGETS = 60
MAX_GOAL = 10_000_000_000


class Invalid(ValueError):
    """One field's problem, in words for the person who typed it."""


def _text(limit: int, *, required: bool = False, one_line: bool = True) -> Callable[[Any], str | None]:
    def rule(value: Any) -> str | None:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise Invalid("Enter text.")
        value = value.strip().replace("\r\n", "\n")
        if not value:
            if required:
                raise Invalid("This can't be empty.")
            return None
        if len(value) > limit:
            raise Invalid(f"Use at most {limit:,} characters.")
        if one_line and "\n" in value:
            raise Invalid("Keep this to one line.")
        if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
            raise Invalid("Remove the control characters.")
        return value
    return rule


def _url(value: Any, *, required: bool = False) -> str | None:
    text = _text(2000, required=required)(value)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname or " " in text:
        raise Invalid("Enter a full web address starting with https://.")
    return text


def _petition_id(value: Any) -> str:
    text = _text(48, required=True)(value) or ""
    if not PETITION_ID.fullmatch(text):
        raise Invalid("Use lower-case letters, digits and dashes (up to 48), like refugees-2026.")
    return text


def _goal(value: Any) -> int:
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("_", "")
        if not value:
            raise Invalid("Enter the number of signatures you aim for.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid("Enter a whole number, like 1500000.") from None
    if isinstance(value, bool) or isinstance(value, float) and value != number:
        raise Invalid("Enter a whole number, like 1500000.")
    if not 1 <= number <= MAX_GOAL:
        raise Invalid(f"Enter a number from 1 to {MAX_GOAL:,}.")
    return number


def _asks(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, list):
        raise Invalid("Give the asks as a list.")
    if len(value) > MAX_ASKS:
        raise Invalid(f"Keep to at most {MAX_ASKS} asks.")
    asks: list[str] = []
    for ask in value:
        try:
            text = _text(500, required=True)(ask)
        except Invalid as problem:
            raise Invalid(f"Ask {len(asks) + 1}: {problem}") from None
        asks.append(re.sub(r"^\s*(?:\d+[.)]|[-*•])\s+", "", text or ""))  # the page numbers them
    return asks


def _country(value: Any) -> str | None:
    text = _text(2)(value)
    if text is None:
        return None
    code = text.upper()
    if not countries.is_country(code):
        raise Invalid("Choose a country from the list.")
    return code


def _targets(value: Any) -> dict[str, int]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        pairs: list[tuple[Any, Any]] = []
        for line_number, line in enumerate(value.splitlines(), 1):
            if not line.strip():
                continue
            match = re.fullmatch(r"\s*([A-Za-z]{2})\s*[:=,]?\s*([\d,_ ]+)\s*", line)
            if not match:
                raise Invalid(f"Line {line_number}: write a country code and a number, like GB 10000.")
            pairs.append((match.group(1), match.group(2).replace(" ", "")))
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise Invalid("Give the targets as country codes with numbers.")
    if len(pairs) > MAX_TARGETS:
        raise Invalid(f"Set targets for at most {MAX_TARGETS} countries.")
    targets: dict[str, int] = {}
    for code, number in pairs:
        try:
            country = _country(code) if isinstance(code, str) else None
        except Invalid:
            country = None
        if country is None:
            raise Invalid(f"{str(code)[:8]!r} is not a country code (like GB or FR).")
        try:
            targets[country] = _goal(number)
        except Invalid:
            raise Invalid(f"{country}: enter a whole number of signatures from 1 up.") from None
    return dict(sorted(targets.items()))


def _moment(value: Any) -> datetime | None:
    text = _text(40)(value)
    if text is None:
        return None
    try:
        return clock.parse(text)
    except ValueError:
        raise Invalid("Enter a date and time like 2026-12-13T09:00:00Z.") from None


def _body(value: Any) -> str | None:
    text = _text(markdown.MAX_CHARACTERS, one_line=False)(value)
    return text


def _flag(value: Any) -> bool:
    if value in (None, "", False):
        return False
    if value is True:
        return True
    word = value.strip().lower() if isinstance(value, str) else None
    if word in ("true", "on", "1", "yes"):
        return True
    if word in ("false", "off", "0", "no"):
        return False
    raise Invalid("Choose yes or no.")


MAX_EMBED_ORIGINS = 20


def _origins(value: Any) -> list[str]:
    """Sites allowed to show the embeddable form: ``https://partner.example``, one per line (none: any site)."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        raise Invalid("Give the sites as a list of addresses.")
    if len(value) > MAX_EMBED_ORIGINS:
        raise Invalid(f"Keep to at most {MAX_EMBED_ORIGINS} sites.")
    origins = []
    for item in value:
        parts = urlsplit(item.strip().rstrip("/")) if isinstance(item, str) else None
        if parts is None or parts.scheme not in ("https", "http") or not parts.hostname or parts.path \
                or parts.query or parts.fragment or parts.username or "*" in item:
            raise Invalid(f"{str(item)[:80]!r} is not a site's address, like https://partner.example.org.")
        origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return sorted(set(origins))


def _sources(value: Any) -> list[str]:
    """The campaign codes of partner links (``?source=partner-x``), counted apart; any other code counts as other."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        raise Invalid("Give the source codes as a list.")
    codes = []
    for item in value:
        code = item.strip() if isinstance(item, str) else None
        if code is None or not sources.PATTERN.fullmatch(code):
            raise Invalid(f"{str(item)[:80]!r} is not a source code: use 1 to 64 letters, digits, dots, "
                          "dashes or underscores, like partner-x.")
        if code in totals.RESERVED_SOURCES:
            raise Invalid(f"{code!r} is a bucket of its own (no code, or an unlisted one): choose another code.")
        codes.append(code)
    codes = sorted(set(codes))
    if len(codes) > totals.MAX_SOURCES:
        raise Invalid(f"Keep to at most {totals.MAX_SOURCES} source codes.")
    return codes


def _language(value: Any) -> str | None:
    if value in (None, ""):
        return None
    language = value.strip().lower() if isinstance(value, str) else None
    if language not in i18n.LANGUAGES:
        raise Invalid(f"Choose one of the site's languages: {', '.join(i18n.LANGUAGES)}.")
    return None if language == i18n.DEFAULT else language


TRANSLATED = ("title", "summary", "body", "asks")


def _translations(value: Any) -> dict[str, dict[str, Any]]:
    """Per language, the petition's words in it; a language left blank has no translation."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise Invalid("Give the translations as an object with one entry per language, like {\"fr\": {...}}.")
    rules: dict[str, Callable[[Any], Any]] = {"title": _text(200), "summary": _text(1000, one_line=False),
                                              "body": _body, "asks": _asks}
    found: dict[str, dict[str, Any]] = {}
    for language, words in value.items():
        name = i18n.NAMES.get(language)
        if name is None:
            raise Invalid(f"{language!r} is not one of the site's languages ({', '.join(i18n.LANGUAGES)}).")
        if not isinstance(words, dict) or set(words) - set(TRANSLATED):
            raise Invalid(f"{name}: give only {', '.join(TRANSLATED)}.")
        try:
            checked = {field: rules[field](words.get(field)) for field in TRANSLATED}
        except Invalid as problem:
            raise Invalid(f"{name}: {problem}") from None
        checked = {field: text for field, text in checked.items() if text}
        if not checked:
            continue
        if not checked.get("title") or not checked.get("summary"):
            raise Invalid(f"{name}: a translation needs at least a title and a summary.")
        found[language] = checked
    return found


@dataclass(frozen=True)
class Field:
    name: str
    rule: Callable[[Any], Any]
    required: bool = False  # on create


FIELDS: tuple[Field, ...] = (
    Field("title", _text(200, required=True), required=True),
    Field("summary", _text(1000, required=True, one_line=False), required=True),
    Field("goal", _goal, required=True),
    Field("asks", _asks),
    Field("body", _body),
    Field("image_url", _url),
    Field("image_alt", _text(300)),
    Field("image_credit", _text(200)),
    Field("organiser_name", _text(120)),
    Field("organiser_url", _url),
    Field("featured_country", _country),
    Field("country_targets", _targets),
    Field("closes_at", _moment),
    Field("thanks_url", _url),
    Field("require_verification", _flag),  # signers confirm by email before they count (new signatures)
    Field("challenge", _flag),  # signers pass a CAPTCHA (Turnstile) first: for a petition under attack
    Field("embed_origins", _origins),  # who may frame the embeddable form (empty: any site)
    Field("sources", _sources),  # partner links' source codes, counted apart for campaigners (admin only)
    Field("language", _language),  # the language of title, summary, body and asks (empty: English)
    Field("translations", _translations),
)
NAMES = tuple(f.name for f in FIELDS)


def parse(raw: dict, *, creating: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields in ``raw`` as stored values, and a message per field that is wrong.

    Creating, every field is read (missing ones empty) and the id is checked;
    updating, only the fields present change. An empty optional field clears it.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if creating:
        try:
            values["petition_id"] = _petition_id(raw.get("petition_id"))
        except Invalid as problem:
            errors["petition_id"] = str(problem)
    for field in FIELDS:
        if not creating and field.name not in raw:
            continue
        try:
            values[field.name] = field.rule(raw.get(field.name))
        except Invalid as problem:
            errors[field.name] = str(problem)
    return values, errors


def whole_problems(fields: dict[str, Any]) -> dict[str, str]:
    """Problems between fields of a whole petition (as it would be stored)."""
    errors = {}
    if fields.get("image_url") and not fields.get("image_alt"):
        errors["image_alt"] = "Describe the image for people who can't see it."
    if (fields.get("image_alt") or fields.get("image_credit")) and not fields.get("image_url"):
        errors["image_url"] = "Enter the image's address, or clear its description and credit."
    if fields.get("organiser_url") and not fields.get("organiser_name"):
        errors["organiser_name"] = "Name the organiser the link is for."
    return errors
