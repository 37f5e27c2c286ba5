"""Create, update, close and list petitions until an admin API exists.

    python -m tools.petition_admin create demo --title "..." --summary "..." --goal 1500000
    python -m tools.petition_admin update demo --goal 2000000 --closes-at 2026-12-31T23:59:59Z
    python -m tools.petition_admin update demo --require-verification   # signers confirm by email
    python -m tools.petition_admin close demo
    python -m tools.petition_admin list

Table names and the endpoint come from the same environment variables as the app.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib import aws, clock, models, petitions, totals
from chalicelib.models import PetitionStatus

DEMO = {
    "petition_id": "demo",
    "title": "Protect people seeking asylum",
    "summary": (
        "World leaders meet at the Global Refugee Forum in Geneva. We ask them to keep "
        "routes to safety open and end the violence and deaths along them; to treat "
        "people seeking asylum with dignity and in line with human rights; to join and "
        "honour the Refugee Convention with fair, efficient asylum procedures; to open "
        "more lasting solutions such as resettlement; and to stand by the countries and "
        "communities that host most refugees."
    ),
    "goal": 1_500_000,
}


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    return clock.parse(text)


def create(petition_id: str, title: str, summary: str, goal: int, *, closes_at: str | None = None,
           thanks_url: str | None = None, require_verification: bool = False, if_absent: bool = False) -> bool:
    """Create a petition and its totals item. False if it exists and if_absent is set."""
    if not petitions.valid_id(petition_id):
        raise SystemExit(f"petition id must be lower-case letters, digits and dashes (max 48): {petition_id!r}")
    petition = models.Petition(
        petition_id=petition_id, title=title, summary=summary, goal=goal,
        status=PetitionStatus.OPEN, closes_at=_when(closes_at), thanks_url=thanks_url,
        require_verification=require_verification,
    )
    condition = models.Petition.petition_id.does_not_exist() if if_absent else None
    try:
        petition.save(condition=condition)
    except PutError as exc:
        if if_absent and aws.conditional_check_failed(exc):
            return False
        raise
    totals.ensure(petition_id, goal)
    return True


def update(petition_id: str, **changes) -> models.Petition:
    petition = models.Petition.get(petition_id)
    for field, value in changes.items():
        if value is None:
            continue
        setattr(petition, field, _when(value) if field == "closes_at" else value)
    petition.save()
    totals.ensure(petition_id, int(petition.goal))
    return petition


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.petition_admin", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create", help="create a petition")
    c.add_argument("petition_id")
    c.add_argument("--title", required=True)
    c.add_argument("--summary", required=True)
    c.add_argument("--goal", type=int, required=True)
    c.add_argument("--closes-at")
    c.add_argument("--thanks-url")
    c.add_argument("--require-verification", action=argparse.BooleanOptionalAction, default=False,
                   help="signers confirm by email before their signature counts")
    u = sub.add_parser("update", help="change a petition's fields")
    u.add_argument("petition_id")
    u.add_argument("--title")
    u.add_argument("--summary")
    u.add_argument("--goal", type=int)
    u.add_argument("--closes-at")
    u.add_argument("--thanks-url")
    u.add_argument("--require-verification", action=argparse.BooleanOptionalAction, default=None,
                   help="signers confirm by email before their signature counts (new signatures only)")
    for verb in ("close", "reopen", "show"):
        sub.add_parser(verb, help=f"{verb} a petition").add_argument("petition_id")
    sub.add_parser("list", help="list every petition")
    sub.add_parser("seed-demo", help="create the demo petition if it is missing")
    args = parser.parse_args(argv)

    try:
        if args.command == "create":
            if not create(args.petition_id, args.title, args.summary, args.goal,
                          closes_at=args.closes_at, thanks_url=args.thanks_url,
                          require_verification=args.require_verification, if_absent=True):
                print(f"petition {args.petition_id} already exists; use update", file=sys.stderr)
                return 1
        elif args.command == "update":
            update(args.petition_id, title=args.title, summary=args.summary, goal=args.goal,
                   closes_at=args.closes_at, thanks_url=args.thanks_url,
                   require_verification=args.require_verification)
        elif args.command in ("close", "reopen"):
            update(args.petition_id, status=PetitionStatus.CLOSED if args.command == "close" else PetitionStatus.OPEN)
        elif args.command == "seed-demo":
            created = create(**DEMO, if_absent=True)
            print("demo petition created" if created else "demo petition already present")
            return 0
        if args.command == "list":
            for p in models.Petition.scan():
                print(json.dumps(petitions.public_view(p)))
            return 0
        print(json.dumps(petitions.public_view(models.Petition.get(args.petition_id)), indent=2))
    except DoesNotExist:
        print(f"no petition {args.petition_id!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
