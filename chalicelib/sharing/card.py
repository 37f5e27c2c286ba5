"""The share card: a PNG with the petition's title and live total, for Open Graph and Twitter cards.

Pillow is imported on the first card a container draws, never at cold start:
the sign path does not pay for it (benchmark 5). A card is drawn at most once a
minute per petition and language in a container; in between, the same bytes
(and ETag) are served, and caches may keep them for that minute.

The font (DejaVu Sans Bold, shipped beside this module with its licence)
covers Latin, Cyrillic and Arabic. Arabic needs shaping (libraqm); where the
imaging library has none, a right-to-left title is left off rather than drawn
as disconnected letters, and the card shows the figures alone.
"""
from __future__ import annotations

import hashlib
import io
import textwrap
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from chalicelib import i18n
from chalicelib.aws import caches
from chalicelib.i18n import gettext as _

WIDTH, HEIGHT = 1200, 630  # the size Open Graph and Twitter's large card expect
FONT = Path(__file__).resolve().parent / "fonts" / "DejaVuSans-Bold.ttf"
REDRAW_SECONDS = 60
CACHE = "public, max-age=60"
MAX_KEPT = 256  # cards kept per container; the oldest go first


@dataclass(frozen=True)
class Card:
    png: bytes
    etag: str
    drawn_at: float


_kept: dict[tuple[str, str], Card] = caches.keep({})


def _right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def draw(title: str, total: int, goal: int, language: str) -> bytes:
    """The card's PNG bytes."""
    from PIL import Image, ImageDraw, ImageFont, features  # lazy: see the module's note

    shaping = features.check("raqm")
    image = Image.new("RGB", (WIDTH, HEIGHT), "#0b4f8a")
    pen = ImageDraw.Draw(image)
    title_font = ImageFont.truetype(str(FONT), 60)
    figure_font = ImageFont.truetype(str(FONT), 110)
    small_font = ImageFont.truetype(str(FONT), 40)
    rtl = i18n.direction(language) == "rtl"
    anchor, x = ("ra", WIDTH - 70) if rtl else ("la", 70)
    direction, script_language = ("rtl", language) if rtl and shaping else (None, None)
    if shaping or not _right_to_left(title):
        for row, line in enumerate(textwrap.wrap(title, width=30)[:3]):
            pen.text((x, 60 + row * 76), line, font=title_font, fill="#ffffff", anchor=anchor,
                     direction=direction, language=script_language)
    figure = i18n.format_number(total, language)
    pen.text((x, 330), figure, font=figure_font, fill="#ffffff", anchor=anchor)
    caption = _("signatures of a goal of %(goal)s", goal=i18n.format_number(goal, language))
    if shaping or not _right_to_left(caption):
        pen.text((x, 470), caption, font=small_font, fill="#dbe7f3", anchor=anchor,
                 direction=direction, language=script_language)
    share = min(1.0, total / goal) if goal else 0.0
    pen.rounded_rectangle((70, 550, WIDTH - 70, 575), radius=12, fill="#2c6aa0")
    if share > 0:
        left, right = (WIDTH - 70 - (WIDTH - 140) * share, WIDTH - 70) if rtl else (70, 70 + (WIDTH - 140) * share)
        pen.rounded_rectangle((left, 550, right, 575), radius=12, fill="#ffbf47")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def card(petition: dict, total: int, now: float | None = None) -> Card:
    """The petition's card in the current language: drawn again at most once a minute."""
    now = time.time() if now is None else now
    key = (petition["petition_id"], i18n.current())
    kept = _kept.get(key)
    if kept is not None and now - kept.drawn_at < REDRAW_SECONDS:
        return kept
    png = draw(petition["title"], total, petition["goal"], i18n.current())
    fresh = Card(png, '"' + hashlib.sha256(png).hexdigest()[:32] + '"', now)
    if len(_kept) >= MAX_KEPT:
        _kept.pop(min(_kept, key=lambda k: _kept[k].drawn_at))
    _kept[key] = fresh
    return fresh


def reset() -> None:
    _kept.clear()
