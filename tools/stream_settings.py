"""The stream event source's settings, read from the deployment template.

The deployed event source mapping and the local stream runner take their
settings from here, so they cannot drift apart. Settings the template does
not name yet fall back to the defaults below (Lambda's behaviour as this
project relies on it: partial-batch failures, bisect, bounded retries and
record age, and a tumbling window so events name their shard).
"""
from __future__ import annotations

from tools import schema

FUNCTION = "OnSignatureChange"
EVENT = "OnSignatureChangeDynamodbEventSource"

DEFAULTS = {
    "BatchSize": 1000,
    "MaximumBatchingWindowInSeconds": 1,
    "BisectBatchOnFunctionError": True,
    "MaximumRetryAttempts": 20,
    "MaximumRecordAgeInSeconds": 86400,
    "TumblingWindowInSeconds": 60,
    "FunctionResponseTypes": ["ReportBatchItemFailures"],
    "StartingPosition": "TRIM_HORIZON",
    "ParallelizationFactor": 1,
}


def stream_settings() -> dict:
    """The event source mapping's settings, CloudFormation key names."""
    resources = schema.template().get("Resources", {})
    declared = (resources.get(FUNCTION, {}).get("Properties", {})
                .get("Events", {}).get(EVENT, {}).get("Properties", {}))
    return {**DEFAULTS, **declared}
