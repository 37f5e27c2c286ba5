"""The stream event source settings, read from the deploy template.

infra/resources.json is the one source of truth: Lambda's event source mapping
gets these values from it, and the local stream runner calls
``stream_settings()`` to poll the stream the same way.
"""
from __future__ import annotations

from tools.schema import template

FUNCTION = "OnSignatureChange"
EVENT = "OnSignatureChangeDynamodbEventSource"

KEYS = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
    "StartingPosition",
    "ParallelizationFactor",
)


def stream_settings() -> dict:
    """The tally's event source settings, keyed exactly as in the template."""
    properties = template()["Resources"][FUNCTION]["Properties"]["Events"][EVENT]["Properties"]
    return {key: properties[key] for key in KEYS}
