"""Invalidate (or revalidate) a petition's signatures by who sent them; the totals follow through the stream.

    python -m tools.invalidate PETITION [--ip ADDRESS | --ip-hash H] [--domain D] [--country C]
                               [--since T] [--until T] [--source S] [--dry-run] [--yes] [--rate N]
    python -m tools.invalidate --revalidate PETITION ...same criteria...   # what make revalidate runs

Prints the preview first (how many signatures, by country); without
``--dry-run`` it then asks to go ahead (``--yes`` does not ask) and applies
the change at ``--rate`` signatures a second, saving a checkpoint after every
scan page so an interrupted run resumes (``--checkpoint``). Running it twice
changes nothing the second time. Every run is audited (actor: ``make
invalidate`` and the local user name). Tables and the endpoint come from
the same environment variables as the app (``make run`` writes them for us).
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from chalicelib.fraud import invalidation
from chalicelib.fraud.invalidation import BadCriteria, Direction

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = ROOT / ".local" / "invalidations"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make invalidate ARGS=", description=__doc__.splitlines()[0])
    p.add_argument("petition")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--ip", help="a client address (as in WAF logs); hashed with the stage's key")
    who.add_argument("--ip-hash", help="the keyed hash of an address, as the trending log line gives it")
    p.add_argument("--domain", help="an email domain, or a pattern: *.example.org, **.example.org")
    p.add_argument("--country", help="a two-letter country code")
    p.add_argument("--since", help="created at or after (2026-11-29T07:00:00Z)")
    p.add_argument("--until", help="created before")
    p.add_argument("--source", help="the campaign code the signatures came with")
    p.add_argument("--dry-run", action="store_true", help="preview only: count, change nothing")
    p.add_argument("--yes", action="store_true", help="apply without asking")
    p.add_argument("--rate", type=float, default=invalidation.DEFAULT_RATE, help="status changes a second")
    p.add_argument("--checkpoint", type=Path, help="where to keep the run's progress (default under .local/)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.add_argument("--revalidate", action="store_true", help="reverse: invalidated signatures count again")
    return p


def actor() -> str:
    return f"make invalidate ({getpass.getuser()})"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    direction = Direction.REVALIDATE if args.revalidate else Direction.INVALIDATE
    try:
        criteria = invalidation.criteria_with_address(
            args.petition, args.ip, ip_hash=args.ip_hash, domain=args.domain, country=args.country,
            since=args.since, until=args.until, source=args.source)
    except BadCriteria as exc:
        print(f"{direction}: {exc}", file=sys.stderr)
        return 2
    counts = invalidation.preview(criteria, direction)
    invalidation.record_preview(criteria, direction, actor(), counts)
    total = sum(counts.values())
    outcome: dict = {"direction": str(direction), "criteria": criteria.as_record(), "matching": total,
                     "by_country": dict(sorted(counts.items()))}
    if not args.json:
        print(f"{direction} on {args.petition}: {total} signature(s) match")
        for country, n in counts.most_common():
            print(f"  {country}  {n}")
    if args.dry_run or total == 0:
        if args.json:
            print(json.dumps(outcome))
        return 0
    if not args.yes and input(f"{direction} these {total}? [y/N] ").strip().lower() not in ("y", "yes"):
        print("nothing changed")
        return 1
    checkpoint = invalidation.Checkpoint(args.checkpoint or CHECKPOINTS / f"{direction}-{criteria.key}.json")
    progress = invalidation.apply(criteria, direction, actor(), rate=args.rate, checkpoint=checkpoint)
    outcome.update(changed=progress.changed, skipped=progress.skipped, complete=progress.complete)
    if args.json:
        print(json.dumps(outcome))
    else:
        print(f"changed {progress.changed}, skipped {progress.skipped} (changed by someone else meanwhile); "
              "the totals follow through the stream within seconds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
