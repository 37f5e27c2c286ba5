"""The stream event source settings, read from the deploy template.

infra/resources.json is the one source of truth: Lambda's event source mappings
get these values from it, and the local stream runner calls
``stream_settings()`` to poll the stream the same way, for the tally
(``OnSignatureChange``) or the verification mailer (``SendVerificationMail``).
Settings the tally cannot count under are refused here, so neither
``make package`` (and with it ``make deploy``) nor the runner starts with them.
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


class UnsafeStreamSettings(SystemExit):
    """Settings under which the tally would miscount; the message says which and why."""


def check(settings: dict) -> dict:
    """Refuse settings that break the tally's assumptions; return them unchanged otherwise."""
    factor = settings.get("ParallelizationFactor", 1)
    if factor != 1:
        raise UnsafeStreamSettings(
            f"ParallelizationFactor is {factor} in infra/resources.json; it must be 1. The stream tally "
            "keeps one high-water mark per shard and relies on one batch per shard at a time, in order: "
            "with several batches of a shard in flight, a later record can move the mark past an earlier "
            "one that is then never counted.")
    return settings


def _event_properties(function: str) -> dict:
    return template()["Resources"][function]["Properties"]["Events"][f"{function}DynamodbEventSource"]["Properties"]


def stream_settings(function: str = FUNCTION) -> dict:
    """A function's event source settings, keyed exactly as in the template (those it sets).

    The tally's are refused when it could not count under them.
    """
    properties = _event_properties(function)
    settings = {key: properties[key] for key in KEYS if key in properties}
    return check(settings) if function == FUNCTION else settings


def filter_patterns(function: str = FUNCTION) -> list[dict]:
    """The event filter patterns of a function's mapping (Lambda delivers a record matching any); none: all."""
    filters = (_event_properties(function).get("FilterCriteria") or {}).get("Filters") or []
    return [json.loads(f["Pattern"]) for f in filters]
