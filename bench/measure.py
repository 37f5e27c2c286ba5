"""Counting AWS requests and write units, timing, and the machine a run is on."""
from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import botocore.client
from botocore.exceptions import ClientError

from chalicelib.aws.capacity import item_size, write_units  # noqa: F401  (re-exported for the benchmarks)

READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan"})
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
ITEM_OPERATIONS = READ_OPERATIONS | WRITE_OPERATIONS | {"TransactGetItems"}


class Call(str):
    """One request: its operation's name, with the capacity reported, the error code and the parameters sent.

    A ``str``, so that a list of calls compares equal to a list of operation names.
    """

    units: float | None
    error: str | None
    params: dict

    def __new__(cls, operation: str, units: float | None, error: str | None, params: dict) -> Call:
        call = super().__new__(cls, operation)
        call.units, call.error, call.params = units, error, params
        return call


@dataclass
class Meter:
    """Every botocore request made while active, and the capacity DynamoDB says it consumed.

    Wraps ``BaseClient._make_api_call`` (PynamoDB and boto3 both go through
    it) and, with ``ask_capacity``, asks item operations for
    ``ReturnConsumedCapacity=TOTAL``. An engine that reports no capacity
    (moto, a failed conditional write) leaves ``unreported`` up by one instead.
    The benchmarks use it, and the tests (without ``ask_capacity``, so requests
    go out unchanged) to count calls.
    """

    ask_capacity: bool = True
    calls: list[Call] = field(default_factory=list)

    @contextmanager
    def active(self):
        real = botocore.client.BaseClient._make_api_call
        meter = self

        def counting(client, operation, params):
            if meter.ask_capacity and operation in ITEM_OPERATIONS and "ReturnConsumedCapacity" not in params:
                params = {**params, "ReturnConsumedCapacity": "TOTAL"}
            try:
                reply = real(client, operation, params)
            except ClientError as exc:
                meter.calls.append(Call(operation, _capacity(exc.response), exc.response["Error"]["Code"], params))
                raise
            except Exception as exc:  # no answer (a connection error, say): the call was still made
                meter.calls.append(Call(operation, None, type(exc).__name__, params))
                raise
            meter.calls.append(Call(operation, _capacity(reply), None, params))
            return reply

        botocore.client.BaseClient._make_api_call = counting
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = real

    def reset(self) -> None:
        self.calls.clear()

    @property
    def detailed(self) -> list[tuple]:
        """(operation, capacity units or None, error code or None, params) per call."""
        return [(str(call), call.units, call.error, call.params) for call in self.calls]

    @property
    def requests(self) -> int:
        return len(self.calls)

    def of(self, operations) -> list[Call]:
        """The calls of these operations, in order."""
        return [call for call in self.calls if call in operations]

    def count(self, *operations: str) -> int:
        return len(self.of(operations))

    @property
    def writes(self) -> int:
        return len(self.of(WRITE_OPERATIONS))

    @property
    def operations(self) -> Counter:
        return Counter(str(call) for call in self.calls)

    def capacity(self, *operations: str) -> float:
        return sum(call.units or 0 for call in self.of(set(operations) or WRITE_OPERATIONS))

    def unreported(self, *operations: str) -> int:
        return sum(1 for call in self.of(set(operations) or WRITE_OPERATIONS) if call.units is None)


def _capacity(reply: dict) -> float | None:
    consumed = reply.get("ConsumedCapacity")
    if isinstance(consumed, list):
        return sum(c.get("CapacityUnits", 0) for c in consumed) if consumed else None
    if isinstance(consumed, dict):
        return consumed.get("CapacityUnits")
    return None


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
