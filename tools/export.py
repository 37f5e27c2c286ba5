"""Export a petition's figures, delivery list or updates list to a file.

    python -m tools.export PETITION --kind summary|signatures|updates --out FILE [--format csv|jsonl]
        [--segments N]

CSV opens safely in a spreadsheet (UTF-8 with BOM, RFC 4180 quoting, formulas
neutralised); JSON Lines is for programs. The rows come from a parallel Scan
of the signatures table, written as they arrive. Table names and the endpoint
come from the same environment variables as the app (``make export`` points
them at ``make run``'s tables while it is up). Deployed, the export function
does the same into the stack's private bucket (docs/deploying.md).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from chalicelib.rights import export
from chalicelib.rights.spreadsheet import Format


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make export ARGS=", description=__doc__.splitlines()[0])
    parser.add_argument("petition_id")
    parser.add_argument("--kind", required=True, choices=[k.value for k in export.Kind])
    parser.add_argument("--out", required=True, type=Path, help="the file to write (replaced if present)")
    parser.add_argument("--format", choices=[f.value for f in Format], default=None,
                        help="csv or jsonl; by default from the file's extension, else csv")
    parser.add_argument("--segments", type=int, default=export.DEFAULT_SEGMENTS, help="parallel Scan readers")
    args = parser.parse_args(argv)
    fmt = args.format or (Format.JSONL if args.out.suffix.lower() in (".jsonl", ".ndjson") else Format.CSV)
    if args.segments < 1:
        parser.error("--segments must be at least 1")
    started = time.monotonic()
    partial = args.out.with_name(args.out.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            result = export.write(args.petition_id, args.kind, out, fmt, args.segments)
    except export.UnknownPetition:
        partial.unlink(missing_ok=True)
        print(f"no petition {args.petition_id!r}", file=sys.stderr)
        return 1
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(args.out)  # a finished file or none: never half an export under the real name
    print(f"{result.rows} rows ({result.kind}, {result.format}, snapshot {result.snapshot_at}) -> {args.out} "
          f"in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
