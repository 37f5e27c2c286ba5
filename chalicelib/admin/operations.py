"""What an admin can do to petitions, each change audited: the admin pages, the admin API and `make petition`.

The field rules and the lifecycle are the campaign store's; this adds who did
it, to the audit log, and forgets this container's cached copy so the change
shows here at once (other containers within PETITION_CACHE_SECONDS). A
petition's status never touches signatures or their counts.
"""
from __future__ import annotations

from typing import Any

from chalicelib.audit import trail
from chalicelib.aws.models import PetitionStatus
from chalicelib.petitions import catalog, store, targets
from chalicelib.tally import totals

# The store's errors, for callers that only import this module.
NotFound, Exists, Problems, WrongState = store.NotFound, store.Exists, store.Problems, store.WrongState


def create(actor: str, raw: dict, status: PetitionStatus = PetitionStatus.DRAFT) -> dict[str, Any]:
    _, after = store.create(raw, status=status)
    trail.record(actor, "create", after["petition_id"], None, after)
    catalog.reset()
    return after


def update(actor: str, petition_id: str, raw: dict) -> dict[str, Any]:
    before, after = store.update(petition_id, raw)
    if before != after:
        trail.record(actor, "update", petition_id, before, after)
    catalog.reset()
    return after


def change_status(actor: str, petition_id: str, change: str) -> dict[str, Any]:
    before, after = store.set_status(petition_id, change)
    trail.record(actor, change, petition_id, {"status": before["status"]}, {"status": after["status"]})
    catalog.reset()
    return after


def overview() -> list[dict[str, Any]]:
    """Every petition with its state and live total, for the list."""
    rows = []
    for petition in store.every():
        figures = totals.read(petition.petition_id) or {"total": 0, "by_country": {}}
        rows.append({"petition_id": petition.petition_id, "title": petition.title,
                     "status": str(catalog.state(petition)), "goal": int(petition.goal),
                     "total": figures["total"], "countries": len(figures["by_country"])})
    return rows


def details(petition_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A petition's stored fields (drafts too) and its figures: per country, with targets."""

    petition = store.get(petition_id)
    if petition is None:
        raise NotFound(petition_id)
    fields = store.fields_of(petition)
    fields["state"] = str(catalog.state(petition))
    figures = totals.read(petition_id) or {"petition_id": petition_id, "total": 0, "by_country": {},
                                           "goal": fields["goal"], "updated_at": None}
    return fields, targets.with_targets(figures, fields["country_targets"])
