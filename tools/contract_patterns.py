"""The submission rules as the regular expressions docs/openapi.yaml states them.

The validators in chalicelib/signing/submission.py are plain Python: they strip
whitespace (``str.strip``), compare words without case, and refuse characters
by Unicode category. JSON Schema can only say the same with patterns, so these
are built from the same constants; tests/unit/openapi/test_openapi_rules.py checks that the
document carries exactly these and that each matches exactly what its
validator accepts. ``python -m tools.contract_patterns`` prints them;
``--write`` puts them into the document.

Every pattern is valid both as an ECMA 262 regular expression (JSON Schema's
dialect) and in Python's ``re``.
"""
from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

from email_validator import SPECIAL_USE_DOMAIN_NAMES

from chalicelib.i18n import countries
from chalicelib.signing import submission

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"
# The document's schema that carries each pattern (components/schemas/<name>/pattern).
SCHEMA_OF = {"name": "Name", "email": "Email", "country": "CountryCode", "postcode": "Postcode",
             "consent": "ConsentWord", "flag": "FlagWord"}
REFUSED_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")  # what submission._has_control refuses


def _ranges(codepoints: list[int]) -> str:
    """Codepoints as a character-class body of \\uXXXX ranges."""
    parts: list[str] = []
    start: int | None = None
    prev = -2
    ordered: list[int | None] = [*sorted(codepoints), None]
    for cp in ordered:
        if start is not None and (cp is None or cp != prev + 1):
            parts.append(f"\\u{start:04x}" if start == prev else f"\\u{start:04x}-\\u{prev:04x}")
            start = None
        if cp is not None:
            start = cp if start is None else start
            prev = cp
    return "".join(parts)


def _bmp(predicate) -> list[int]:
    # Surrogates (Cs) cannot travel in UTF-8 at all, and an ECMA or Rust class cannot name them.
    return [cp for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF and predicate(chr(cp))]


def _refused(ch: str) -> bool:
    return unicodedata.category(ch) in REFUSED_CATEGORIES


SPACE = "[" + _ranges(_bmp(str.isspace)) + "]"  # what str.strip() removes (none lies outside the BMP)
INNER = "[^" + _ranges(_bmp(_refused)) + "]"  # any character the rules allow inside a value
SOLID = "[^" + _ranges(_bmp(lambda ch: _refused(ch) or ch.isspace())) + "]"  # ... that is not whitespace
FORMULA = "".join("\\" + ch if ch == "-" else ch for ch in submission.FORMULA_STARTS)
FIRST = SOLID[:-1] + FORMULA + "]"  # ... that may start a name or postcode
LINK = r"(?:[A-Za-z][A-Za-z0-9+.\-]*://|[Ww][Ww][Ww]\.)"


def _any_case(word: str) -> str:
    return "".join(f"[{ch.upper()}{ch.lower()}]" if ch.isalpha() else ch for ch in word)


def _words(words) -> str:
    return "(?:" + "|".join(_any_case(w) for w in sorted(words, key=lambda w: (-len(w), w))) + ")"


def name() -> str:
    """1 to 255 characters once stripped; no control characters, no link, no formula start."""
    n = submission.MAX_NAME_CHARS
    return f"^{SPACE}*(?!{INNER}*{LINK}){FIRST}(?:{INNER}{{0,{n - 2}}}{SOLID})?{SPACE}*$"


def email() -> str:
    """Beside ``format: email``: no special-use domain, which email-validator refuses (its own list)."""
    domains = "|".join(_any_case(d) for d in sorted(SPECIAL_USE_DOMAIN_NAMES))
    return f"^(?!.*[.@](?:{domains}){SPACE}*$)"


def country() -> str:
    """An ISO 3166-1 alpha-2 code in any case, surrounding whitespace allowed."""
    codes = "|".join(_any_case(code) for code in sorted(countries.names()))
    return f"^{SPACE}*(?:{codes}){SPACE}*$"


def postcode() -> str:
    """Empty, or up to 16 characters once whitespace runs count as one space; no formula start."""
    n = submission.MAX_POSTCODE_CHARS
    return f"^{SPACE}*(?:(?={FIRST})(?:{SPACE}+(?={SOLID})|{SOLID}){{1,{n}}})?{SPACE}*$"


def consent_word() -> str:
    return f"^{SPACE}*{_words(submission.TRUE_WORDS)}{SPACE}*$"


def flag_word() -> str:
    words = (submission.TRUE_WORDS | submission.FALSE_WORDS) - {""}
    return f"^{SPACE}*{_words(words)}?{SPACE}*$"


def all_patterns() -> dict[str, str]:
    return {"name": name(), "email": email(), "country": country(), "postcode": postcode(), "consent": consent_word(),
            "flag": flag_word()}


def _replacement(pattern: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group(1) + "'" + pattern + "'"


def write(document: Path = DOCUMENT) -> None:
    """Replace each schema's ``pattern:`` line in the document (single-quoted YAML: no escapes)."""
    text = document.read_text()
    for key, pattern in all_patterns().items():
        block = re.compile(rf"(\n    {SCHEMA_OF[key]}:\n(?:      .*\n)*?      pattern: )'[^'\n]*'")
        text, found = block.subn(_replacement(pattern), text)
        if found != 1:
            raise SystemExit(f"no pattern line under components/schemas/{SCHEMA_OF[key]} in {document}")
    document.write_text(text)


def main(argv: list[str] | None = None) -> int:
    if "--write" in (argv if argv is not None else sys.argv[1:]):
        write()
        return 0
    for key, pattern in all_patterns().items():
        print(f"{key}: {pattern!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
