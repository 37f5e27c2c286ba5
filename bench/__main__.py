"""Run every benchmark, print the table, and write it to docs/benchmarks.md.

    python -m bench [--quick] [--out PATH]
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    cold_start,
    cost,
    counter_writes,
    dashboards,
    engine,
    export_scale,
    fraud,
    freshness,
    invalidation,
    replay,
    shards,
    sign_cost,
    sign_overhead,
    tally_cpu,
    verified_cost,
)
from bench.measure import clock, machine
from bench.report import Section, details, headlines, table

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "benchmarks.md"

FULL = {"sign": 200, "duplicates": 50, "records": 1000, "cpu": 100_000, "cpu_repeats": 7, "overhead": 300,
        "imports": 15, "fresh": 500, "fresh_rate": 20.0, "replay": 1_100_000, "gb": 8_500, "verified": 100,
        "mail_rate": 300, "load": 10_000, "shard_counts": (1, 10, 100, 1000), "shard_batch": 1000,
        "dashboards": 200, "invalidation": 1500,
        # 1.1 million takes longer to load into DynamoDB Local than the export takes; EXPORT_ROWS sets it
        "export": int(os.environ.get("EXPORT_ROWS") or 200_000)}
QUICK = {"sign": 20, "duplicates": 5, "records": 1000, "cpu": 5_000, "cpu_repeats": 3, "overhead": 30,
         "imports": 3, "fresh": 20, "fresh_rate": 20.0, "replay": 20_000, "gb": 150, "verified": 10, "mail_rate": 20,
         "load": 1_000, "shard_counts": (1, 10, 100), "shard_batch": 100, "dashboards": 10, "export": 5_000,
         "invalidation": 200}


def step(title: str):
    print(f"… {title}", file=sys.stderr, flush=True)


def run(sizes: dict) -> tuple[list[Section], float]:
    from chalice.test import Client

    started = clock()
    sections: list[Section] = []
    step("5. cold start")
    sections.append(cold_start.run(repeats=sizes["imports"]))
    step("3. tally CPU")
    sections.append(tally_cpu.run(records=sizes["cpu"], repeats=sizes["cpu_repeats"]))
    step("14. fraud controls")
    sections.append(fraud.run(records=sizes["cpu"], repeats=sizes["cpu_repeats"]))

    with engine.dynamodb_local():
        from app import app, on_signature_change, send_verification_mail

        def handler(event):
            return on_signature_change(event, None)  # the Lambda entry point, Chalice's event wrapper included

        with Client(app) as client:
            step("1. sign path cost")
            sections.append(sign_cost.run(client.http, engine.new_petition, sizes["sign"], sizes["duplicates"]))
            step("2. counter writes")
            sections.append(counter_writes.run(handler, engine.new_petition, sizes["records"]))
            step("4. sign request overhead")
            sections.append(sign_overhead.run(client.http, engine.new_petition, sizes["overhead"]))
            step("11. verified signatures")
            sections.append(verified_cost.run(
                client.http, engine.new_petition, lambda event: send_verification_mail(event, None),
                n=sizes["verified"], sign_ms=sections[-1].data["app_ms"], throughput_n=sizes["mail_rate"]))
            step("12. dashboards at campaign scale")
            dashboard_figures = dashboards.measure(client.http, engine.new_petition, sizes["dashboards"])
            sections.append(dashboards.run(dashboard_figures))
        step("9. sharded counters")
        sections.append(shards.run(handler, engine.new_petition, sizes["shard_counts"], sizes["shard_batch"]))
        step("7. scale replay")
        sections.append(replay.run(handler, engine.new_petition, sizes["replay"], sizes["gb"]))
        step("13. export at scale")
        sections.append(export_scale.run(engine.new_petition, sizes["export"]))
        step("15. invalidation throughput")
        sections.append(invalidation.run(engine.new_petition, sizes["invalidation"]))

    step("6. freshness")
    sections.append(freshness.run(sizes["fresh"], sizes["fresh_rate"]))
    step("10. batching under load")
    sections.append(freshness.run_load(sizes["load"]))

    by_number = {s.number: s for s in sections}
    sections.append(cost.run(cost.Inputs(
        sign_units=by_number[1].data["units_per_signature"],
        naive_units=by_number[1].data["naive_units_per_signature"],
        sign_ms=by_number[4].data["app_ms"],
        batch_ms=by_number[7].data["batch_ms"],
        batch_size=by_number[7].data["batch_size"],
        counter_units_per_record=by_number[7].data["units_per_record"],
        sign_bytes=dashboard_figures["sign_bytes"],
    )))
    verified_cost.compare_cost(by_number[11], sections[-1].data["total"])
    sections.sort(key=lambda s: s.number)
    return sections, clock() - started


def document(sections: list[Section], elapsed: float, quick: bool) -> str:
    from tools import ddblocal

    m = machine()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand."
        + (" **Quick sizes: not a real run.**" if quick else ""),
        "",
        f"Run on {when}: {m['cores']} cores ({m['processor']}), {m['platform']}, {m['python']}; "
        f"the whole run took {elapsed / 60:.1f} minutes. DynamoDB Local from {ddblocal.PACKAGE} {ddblocal.VERSION}, "
        f"in memory, on {m['java']}.",
        "",
        "The machines are shared and noisy, so every figure is a count, or is shown beside a baseline measured "
        "side by side in the same run (medians over repeats, interleaved). Ratios are ours ÷ baseline: below 1× "
        "is fewer requests, units or seconds than the baseline.",
        "",
        "## Headlines",
        "",
        headlines(sections),
        "",
        "## All figures",
        "",
        table(sections),
        "",
        "## How each figure was measured",
        "",
        details(sections),
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the benchmarks run")
    parser.add_argument("--out", type=Path, help=f"where to write the table (default {DOCUMENT.relative_to(ROOT)}, "
                                                 "none with --quick)")
    args = parser.parse_args(argv)
    sections, elapsed = run(QUICK if args.quick else FULL)
    text = document(sections, elapsed, args.quick)
    print(text)
    out = args.out or (None if args.quick else DOCUMENT)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"\nwritten to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
