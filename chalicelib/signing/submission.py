"""The submission rules: a request body in, a valid signature or field errors out.

Pure functions over bytes and dicts; nothing here touches AWS.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from chalicelib.fraud import disposable
from chalicelib.i18n import N_, countries
from chalicelib.i18n import gettext as _
from chalicelib.petitions import sources

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 255
MAX_POSTCODE_CHARS = 16

TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
FALSE_WORDS = frozenset({"false", "off", "0", "no", ""})
# ASCII only: under IGNORECASE alone, [a-z] also matches letters such as the long s (U+017F).
LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE | re.ASCII)
COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@")

# Each rule's message, written for the signer; translated when shown (chalicelib/i18n).
MESSAGES = {
    "name.missing": N_("Enter your name."),
    "name.long": N_("Your name must be %(max_name)s characters or fewer."),
    "name.control": N_("Your name contains characters we can't accept, such as line breaks."),
    "name.link": N_("Your name can't contain a link."),
    "name.formula": N_("Your name can't start with =, +, - or @."),
    # Within the character limit, but too many bytes (long scripts) to store in one write unit.
    "name.too_big": N_("Your name is too long for us to store; please shorten it."),
    "email.missing": N_("Enter your email address."),
    "email.invalid": N_("Enter a valid email address, like name@example.com."),
    "email.disposable": N_("This looks like a temporary (disposable) email address. Enter an address you will "
                           "keep, so your signature can be checked."),
    "country.missing": N_("Choose your country."),
    "country.invalid": N_("Choose your country from the list."),
    "postcode.long": N_("Your postcode must be %(max_postcode)s characters or fewer."),
    "postcode.invalid": N_("Your postcode contains characters we can't accept."),
    "postcode.formula": N_("Your postcode can't start with =, +, - or @."),
    "consent.missing": N_("Tick the box to agree to the privacy notice; we can't count your signature without it."),
    "updates_opt_in.invalid": N_("Choose yes or no for campaign updates."),
}
LIMITS = {"max_name": MAX_NAME_CHARS, "max_postcode": MAX_POSTCODE_CHARS}


def message(code: str) -> str:
    """A rule's message in the current language."""
    return _(MESSAGES[code], **LIMITS)


@dataclass(frozen=True)
class SignatureInput:
    name: str
    email: str
    country: str
    postcode: str | None
    updates_opt_in: bool
    source: str | None


def honeypot_filled(fields: dict) -> bool:
    """True when the hidden ``website`` field, which people never see, has a value."""
    return fields.get("website") not in (None, "", False)


def _text(value) -> str | None:
    """A field's value as stripped text; None when absent, not text or blank."""
    if isinstance(value, str):
        return value.strip() or None
    return None


def _flag(value) -> bool | None:
    """JSON booleans and the words a form sends; None when it is neither."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") for ch in text)


def _name_error(name: str | None) -> str | None:
    if name is None:
        return "name.missing"
    if len(name) > MAX_NAME_CHARS:
        return "name.long"
    if _has_control(name):
        return "name.control"
    if LINK.search(name):
        return "name.link"
    if name.startswith(FORMULA_STARTS):
        return "name.formula"
    return None


def normalise_postcode(postcode: str) -> str:
    return " ".join(postcode.split()).upper()


def validate(fields: dict) -> tuple[SignatureInput | None, dict[str, str]]:
    """Check every field; return the signature, or every field's error message."""
    errors: dict[str, str] = {}

    name = _text(fields.get("name"))
    if problem := _name_error(name):
        errors["name"] = problem

    email = _text(fields.get("email"))
    if email is None:
        errors["email"] = "email.missing"
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = "email.invalid"
        else:
            if disposable.is_disposable(email.rpartition("@")[2]):
                errors["email"] = "email.disposable"

    country = _text(fields.get("country"))
    if country is None:
        errors["country"] = "country.missing"
    else:
        # ASCII letters only: str.upper() would turn the ligature "\ufb01" into "FI".
        country = country.upper() if COUNTRY_CODE.fullmatch(country) else country
        if not countries.is_country(country):
            errors["country"] = "country.invalid"

    postcode = _text(fields.get("postcode"))
    if fields.get("postcode") not in (None, "") and not isinstance(fields.get("postcode"), str):
        errors["postcode"] = "postcode.invalid"
    elif postcode is not None:
        # The limit counts the text as sent (spaces collapsed), not upper-cased,
        # which can lengthen it ("\u00df" -> "SS"): a contract can state that.
        collapsed = " ".join(postcode.split())
        postcode = normalise_postcode(postcode)
        if len(collapsed) > MAX_POSTCODE_CHARS:
            errors["postcode"] = "postcode.long"
        elif _has_control(postcode):
            errors["postcode"] = "postcode.invalid"
        elif postcode.startswith(FORMULA_STARTS):
            errors["postcode"] = "postcode.formula"

    if _flag(fields.get("consent")) is not True:
        errors["consent"] = "consent.missing"

    updates_opt_in = _flag(fields.get("updates_opt_in"))
    if updates_opt_in is None:
        errors["updates_opt_in"] = "updates_opt_in.invalid"

    # Never an error (see petitions/sources.py); the sign path has already counted a dropped one.
    source = sources.valid(fields.get("source"))

    if errors:
        return None, {field: message(code) for field, code in errors.items()}
    assert name is not None and email is not None and country is not None  # each is an error otherwise
    return (
        SignatureInput(
            name=name,
            email=email,
            country=country,
            postcode=postcode,
            updates_opt_in=bool(updates_opt_in),
            source=source,
        ),
        {},
    )
