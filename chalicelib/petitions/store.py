"""Petitions as the campaign team changes them: drafts included, read fresh (never from the sign path's cache).

Every change goes through ``create``, ``update`` and ``set_status``, which
check the fields with ``rules`` and return the petition's fields before and
after, for the audit record. A change to a petition never touches the
signatures or their counts; only the goal is copied to the totals item.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.aws import clients, clock, models
from chalicelib.aws.models import PetitionStatus
from chalicelib.petitions import catalog, rules
from chalicelib.tally import totals


class NotFound(LookupError):
    pass


class Exists(ValueError):
    pass


class Problems(ValueError):
    """Fields the person must correct, one message each."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


class WrongState(ValueError):
    """The petition is not in a state this change applies to."""


def get(petition_id: str) -> models.Petition | None:
    if not catalog.valid_id(petition_id):
        return None
    try:
        return models.Petition.get(petition_id, consistent_read=True)
    except DoesNotExist:
        return None


def every() -> list[models.Petition]:
    """Every petition, drafts included, newest id last (a Scan: the admin list, not a hot path)."""
    return sorted(models.Petition.scan(), key=lambda p: p.petition_id)


def fields_of(petition: models.Petition) -> dict[str, Any]:
    """The petition's stored fields as plain JSON values (the audit's before and after)."""
    out: dict[str, Any] = {"petition_id": petition.petition_id, "status": str(petition.status)}
    for name in rules.NAMES:
        value = getattr(petition, name)
        if name == "closes_at":
            value = clock.stamp(value) if value else None
        elif name == "goal":
            value = int(value)
        elif name == "challenge":
            value = bool(value)
        elif name in ("asks", "embed_origins", "sources"):
            value = list(value or [])
        elif name == "country_targets":
            value = {code: int(n) for code, n in sorted(catalog.targets_of(petition).items())}
        elif name == "translations":
            value = {language: {k: list(v) if k == "asks" else v for k, v in words.items()}
                     for language, words in sorted(catalog.translations_of(petition).items())}
        out[name] = value
    return out


def _apply(petition: models.Petition, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "petition_id":
            continue
        if name in ("asks", "embed_origins", "sources"):
            value = value or None
        if name in ("country_targets", "translations"):
            value = value or None
        setattr(petition, name, value)


def create(raw: dict, *, status: PetitionStatus = PetitionStatus.DRAFT) -> tuple[None, dict[str, Any]]:
    """A new petition (and its totals item). Problems, or Exists when the id is taken."""
    values, errors = rules.parse(raw, creating=True)
    errors.update({k: v for k, v in rules.whole_problems(values).items() if k not in errors})
    if errors:
        raise Problems(errors)
    petition = models.Petition(petition_id=values["petition_id"], status=status, require_verification=False)
    _apply(petition, values)
    try:
        petition.save(condition=models.Petition.petition_id.does_not_exist())
    except PutError as exc:
        if clients.conditional_check_failed(exc):
            raise Exists(values["petition_id"]) from None
        raise
    totals.ensure(petition.petition_id, int(petition.goal))
    return None, fields_of(petition)


def update(petition_id: str, raw: dict) -> tuple[dict[str, Any], dict[str, Any]]:
    """Change the fields present in ``raw``; an empty optional field clears it."""
    petition = get(petition_id)
    if petition is None:
        raise NotFound(petition_id)
    unknown = sorted(set(raw) - set(rules.NAMES) - {"petition_id", "status"})
    values, errors = rules.parse({k: v for k, v in raw.items() if k in rules.NAMES}, creating=False)
    for name in unknown:
        errors[name] = "This field can't be changed."
    before = fields_of(petition)
    whole = {**before, **values}
    errors.update({k: v for k, v in rules.whole_problems(whole).items() if k not in errors})
    if errors:
        raise Problems(errors)
    _apply(petition, values)
    petition.save()
    if int(petition.goal) != before["goal"]:
        totals.ensure(petition_id, int(petition.goal))
    return before, fields_of(petition)


# Which status each change may start from.
TRANSITIONS: dict[str, tuple[set[PetitionStatus], PetitionStatus]] = {
    "open": ({PetitionStatus.DRAFT}, PetitionStatus.OPEN),
    "close": ({PetitionStatus.OPEN}, PetitionStatus.CLOSED),
    "reopen": ({PetitionStatus.CLOSED}, PetitionStatus.OPEN),
}


def set_status(petition_id: str, change: str, now: datetime | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open a draft, close an open petition, reopen a closed one."""
    if change not in TRANSITIONS:
        raise WrongState(f"unknown change {change!r}")
    petition = get(petition_id)
    if petition is None:
        raise NotFound(petition_id)
    now = now or clock.utc_now()
    allowed, target = TRANSITIONS[change]
    current = catalog.state(petition, now)
    if current not in allowed:
        raise WrongState(f"This petition is {current}; only a {' or '.join(sorted(allowed))} petition can be "
                         f"{'closed' if change == 'close' else 'opened'}.")
    if target == PetitionStatus.OPEN and petition.closes_at is not None and petition.closes_at <= now:
        raise WrongState("Its closing time has passed: set a later one (or none) first.")
    before = fields_of(petition)
    petition.status = target
    petition.closed_at = now if target == PetitionStatus.CLOSED else None  # when retention's clock starts
    petition.save()
    return before, fields_of(petition)
