"""Petition look-ups, cached in the container for a few seconds.

The sign path must make exactly one DynamoDB request (the conditional put), so
a petition's configuration is read at most once per cache period per
container, unknown ids included.
"""
from __future__ import annotations

import re
import time
from collections import OrderedDict
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib import i18n
from chalicelib.aws import caches, config, models
from chalicelib.petitions import markdown

PETITION_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?")

# Unknown ids are cached too (a bot probing ids costs one read per id per
# period), so the cache is bounded: the oldest entry goes first.
CACHE_ENTRIES = 1000
_cache: OrderedDict[str, tuple[float, models.Petition | None]] = caches.keep(OrderedDict())


def valid_id(petition_id: str) -> bool:
    return bool(PETITION_ID.fullmatch(petition_id or ""))


def load(petition_id: str) -> models.Petition | None:
    """The public petition, or None when there is none or it is a draft; read through the cache."""
    if not valid_id(petition_id):
        return None
    now = time.monotonic()
    hit = _cache.get(petition_id)
    if hit and hit[0] > now:
        return hit[1]
    try:
        petition = models.Petition.get(petition_id)
    except DoesNotExist:
        petition = None
    _cache[petition_id] = (now + config.settings().petition_cache_seconds, petition)
    _cache.move_to_end(petition_id)
    while len(_cache) > CACHE_ENTRIES:
        _cache.popitem(last=False)
    if petition is not None and petition.status == models.PetitionStatus.DRAFT:
        return None  # not public yet: every public page and API answers as for no petition
    return petition


def reset() -> None:
    """Forget every cached petition."""
    _cache.clear()


def state(petition: models.Petition, now: datetime | None = None) -> models.PetitionStatus:
    """Where the petition is in its life now: a passed ``closes_at`` closes it, with no job to run."""
    if petition.status == models.PetitionStatus.DRAFT:
        return models.PetitionStatus.DRAFT
    now = now or datetime.now(UTC)
    if petition.status == models.PetitionStatus.OPEN and (petition.closes_at is None or now < petition.closes_at):
        return models.PetitionStatus.OPEN
    return models.PetitionStatus.CLOSED


def is_open(petition: models.Petition, now: datetime | None = None) -> bool:
    return state(petition, now) == models.PetitionStatus.OPEN


def targets_of(petition: models.Petition) -> dict[str, int]:
    """The per-country targets as plain ``{code: number}``."""
    stored = petition.country_targets
    if stored is None:
        return {}
    raw = stored.as_dict() if hasattr(stored, "as_dict") else dict(stored)
    return {str(code): int(n) for code, n in raw.items()}


def translations_of(petition: models.Petition) -> dict[str, dict]:
    stored = petition.translations
    if not stored:
        return {}
    raw = stored.as_dict() if hasattr(stored, "as_dict") else dict(stored)
    return {str(language): dict(content) for language, content in raw.items() if isinstance(content, dict)}


def content(petition: models.Petition, language: str | None = None) -> dict:
    """The petition's words in ``language`` (the page's by default) where it has them, else its own language.

    A translation may leave out the body or the asks; those come from the
    petition's own language, and ``partly`` says so.
    """
    own = petition.language or i18n.DEFAULT
    wanted = language or i18n.current()
    words = {"title": petition.title, "summary": petition.summary, "body": petition.body or "",
             "asks": list(petition.asks or [])}
    translation = translations_of(petition).get(wanted) if wanted != own else None
    if translation is None:
        return {**words, "language": own, "partly": False, "untranslated": []}
    untranslated = []
    for name in words:
        if translation.get(name):
            words[name] = list(translation[name]) if name == "asks" else translation[name]
        elif words[name]:
            untranslated.append(name)
    return {**words, "language": wanted, "partly": bool(untranslated), "untranslated": untranslated,
            "own_language": own}


def public_view(petition: models.Petition, now: datetime | None = None, language: str | None = None) -> dict:
    """What anyone may see of a petition, in the page's language where it has a translation: never signer data."""
    words = content(petition, language)

    image = None
    if petition.image_url:
        image = {"url": petition.image_url, "alt": petition.image_alt or "", "credit": petition.image_credit}
    organiser = None
    if petition.organiser_name:
        organiser = {"name": petition.organiser_name, "url": petition.organiser_url}
    return {
        "petition_id": petition.petition_id,
        "title": words["title"],
        "summary": words["summary"],
        # The language of the words above; a page in another language says it is showing this one.
        "language": words["language"],
        "languages": sorted({petition.language or i18n.DEFAULT, *translations_of(petition)}),
        "partly_translated": words["partly"],
        "untranslated": words["untranslated"],  # the parts shown in the petition's own language
        "own_language": petition.language or i18n.DEFAULT,
        "goal": int(petition.goal),
        "status": state(petition, now),
        "closes_at": petition.closes_at.isoformat().replace("+00:00", "Z") if petition.closes_at else None,
        # Signers confirm by email before their signature counts.
        "require_verification": bool(petition.require_verification),
        # Signers pass a challenge (Turnstile) first: its token goes in the cf-turnstile-response field.
        "challenge": bool(petition.challenge),
        "asks": words["asks"],
        "body": words["body"],
        "body_html": str(markdown.to_html(words["body"])),
        "image": image,
        "organiser": organiser,
        "featured_country": petition.featured_country,
        "country_targets": dict(sorted(targets_of(petition).items())),
        "embed_origins": list(petition.embed_origins or []),
    }


def list_open() -> list[models.Petition]:
    """Every open petition (a Scan: for the small index page, not hot paths)."""
    return sorted(
        (p for p in models.Petition.scan() if is_open(p)),
        key=lambda p: p.petition_id,
    )
