"""Count the AWS requests code makes, by operation, as botocore sends them, with the capacity DynamoDB reports.

For the tests (which assert the requests a route makes) and the benchmarks (which report them).
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import botocore.client
from botocore.exceptions import ClientError

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
