"""5. Cold start: importing app.py in a fresh interpreter, against importing boto3 alone.

Each figure is the median wall time of fresh processes, run interleaved with
the baselines; `python -X importtime` lists what the import spends its time on.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.measure import clock, median
from bench.report import Section, ratio

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = {"app": "import app", "boto3": "import boto3", "interpreter": "pass"}
IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the bytecode cache is already warm from the first run
    return env


def launch(code: str) -> float:
    start = clock()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return clock() - start


def heaviest_imports(top: int = 10) -> tuple[list[tuple[str, int]], int]:
    """Top-level packages by their modules' own import time (µs) under `import app`, and the total.

    Summing each module's self time per package attributes every microsecond
    once; cumulative times would charge botocore to whichever package happens
    to import it first.
    """
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=ROOT, env=_env(),
                            check=True, capture_output=True, text=True)
    packages: dict[str, int] = {}
    total = 0
    for line in result.stderr.splitlines():
        match = IMPORTTIME.match(line)
        if not match:
            continue
        own, cumulative, indent, name = int(match[1]), int(match[2]), len(match[3]), match[4]
        if name == "app" and indent == 0:
            total = cumulative
        root = name.split(".")[0]
        packages[root] = packages.get(root, 0) + own
    ranked = sorted(packages.items(), key=lambda kv: -kv[1])[:top]
    return ranked, total


def run(repeats: int = 15) -> Section:
    section = Section(5, "Cold start")
    for code in PROGRAMS.values():
        launch(code)  # warm the file cache and bytecode
    times = {name: [] for name in PROGRAMS}
    for i in range(repeats):
        order = list(PROGRAMS.items())
        for name, code in (order if i % 2 == 0 else order[::-1]):
            times[name].append(launch(code))
    app_s, boto_s, bare_s = (median(times[n]) for n in ("app", "boto3", "interpreter"))
    section.row("Cold start: `import app` in a fresh interpreter", f"{app_s * 1000:.0f} ms",
                f"{boto_s * 1000:.0f} ms (`import boto3`)", ratio(app_s, boto_s))
    section.row("Cold start, interpreter start-up subtracted", f"{(app_s - bare_s) * 1000:.0f} ms",
                f"{(boto_s - bare_s) * 1000:.0f} ms", ratio(app_s - bare_s, boto_s - bare_s))
    ranked, total = heaviest_imports()
    listing = ""
    if total:
        rest = total - sum(us for _, us in ranked)
        listing = "\n".join([f"| `{name}` | {us / 1000:.0f} | {us / total:.0%} |" for name, us in ranked]
                            + [f"| everything else | {rest / 1000:.0f} | {rest / total:.0%} |"])
    section.notes += [
        f"- Medians of {repeats} fresh processes each, interleaved; a bare interpreter (`pass`) takes "
        f"{bare_s * 1000:.0f} ms. Nothing connects to AWS at import: clients are made on first use.",
        "- Where `import app` spends its time, by top-level package (one `python -X importtime` run; each "
        "module's own time summed per package, so shares do not overlap; `app` and `chalicelib` are our code):",
        "",
        "| Package | ms | Share of `import app` |",
        "|---|---|---|",
        listing,
    ]
    section.headline = (f"Cold start: `import app` {app_s * 1000:.0f} ms, {app_s / boto_s:.2f}× `import boto3` "
                        f"({boto_s * 1000:.0f} ms).")
    section.data = {"app_ms": app_s * 1000, "boto3_ms": boto_s * 1000, "heaviest": ranked}
    return section
