"""The stream event source settings, read from the deploy template.

infra/resources.json is the one source of truth: Lambda's event source mappings
get these values from it, and the local stream runner calls
``stream_settings()`` to poll the stream the same way, for the tally
(``OnSignatureChange``) or the verification mailer (``SendVerificationMail``).
"""
from __future__ import annotations

import json

from tools.schema import template

FUNCTION = "OnSignatureChange"
EVENT = "OnSignatureChangeDynamodbEventSource"
MAILER = "SendVerificationMail"

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


def _event_properties(function: str) -> dict:
    return template()["Resources"][function]["Properties"]["Events"][f"{function}DynamodbEventSource"]["Properties"]


def stream_settings(function: str = FUNCTION) -> dict:
    """A function's event source settings, keyed exactly as in the template (those it sets)."""
    properties = _event_properties(function)
    return {key: properties[key] for key in KEYS if key in properties}


def filter_patterns(function: str = FUNCTION) -> list[dict]:
    """The event filter patterns of a function's mapping (Lambda delivers a record matching any); none: all."""
    filters = (_event_properties(function).get("FilterCriteria") or {}).get("Filters") or []
    return [json.loads(f["Pattern"]) for f in filters]
