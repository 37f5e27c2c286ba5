"""One signer's rights, from a terminal: erase them, show what is held about them, anonymise a petition.

    python -m tools.signer_rights erase [PETITION] EMAIL   # from one petition, or every petition
    python -m tools.signer_rights data EMAIL               # JSON, for a subject access request
    python -m tools.signer_rights anonymise PETITION --now # retention now, whatever the petition's schedule
    python -m tools.signer_rights anonymise PETITION --days N  # its own period: anonymised N days after closing

Signatures are found by the keyed hash of the address (the key of their
items), never by scanning the signatures table. Erasure leaves a record in the
audit log (petition, time, channel; no personal data). Table names, the
endpoint and the secret come from the same environment as the app (``make
erase`` and the others point them at ``make run``'s tables while it is up).
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys

from chalicelib.rights import access, erasure


def actor(command: str) -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"make {command} ({user})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.signer_rights", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("erase", help="remove an address's signature from one petition, or from every petition")
    e.add_argument("targets", nargs="+", metavar="[PETITION] EMAIL")
    d = sub.add_parser("data", help="every signature held for an address, as JSON")
    d.add_argument("email")
    a = sub.add_parser("anonymise", help="anonymise a closed petition's signatures")
    a.add_argument("petition_id")
    a.add_argument("--now", action="store_true", help="now, without waiting for its retention period")
    a.add_argument("--days", type=int, help="set the petition's own retention period instead (days after closing)")
    args = parser.parse_args(argv)

    if args.command == "erase":
        if len(args.targets) > 2:
            parser.error("erase takes an email address, optionally after a petition id")
        petition_id, email = (None, args.targets[0]) if len(args.targets) == 1 else args.targets
        erased = erasure.erase(email, petition_id, actor("erase"))
        if not erased:
            print("no signature for that address" + (f" on {petition_id}" if petition_id else " on any petition"),
                  file=sys.stderr)
            return 1
        for pid in erased:
            print(f"removed from {pid} (recorded in the audit log; the count drops once the tally has run)")
        return 0
    if args.command == "data":
        print(json.dumps(access.signer_data(args.email), indent=2, ensure_ascii=False))
        return 0
    from chalicelib.rights import retention

    if args.days is not None:
        if args.days < 0:
            parser.error("--days must be 0 or more")
        retention.set_period(args.petition_id, args.days)
        print(f"{args.petition_id}: signatures are anonymised {args.days} days after it closes")
        return 0
    result = retention.anonymise_petition(args.petition_id, force=args.now, actor=actor("anonymise"))
    print(result.describe())
    return 0 if result.done else 1


if __name__ == "__main__":
    sys.exit(main())
