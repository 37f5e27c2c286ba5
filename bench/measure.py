"""Counting AWS requests and write units, timing, and the machine a run is on."""
from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time

from chalicelib.aws.capacity import item_size, write_units  # noqa: F401  (re-exported for the benchmarks)


def median(values) -> float:
    return statistics.median(values)


def percentile(values, p: float) -> float:
    """The p-th percentile by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def clock() -> float:
    return time.perf_counter()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def java_version() -> str:
    import subprocess

    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.splitlines()[0] if out else "unknown"


def machine() -> dict:
    return {
        "java": java_version(),
        "cores": os.cpu_count(),
        "platform": f"{platform.system()} {platform.machine()}",
        "processor": cpu_model(),
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
    }
