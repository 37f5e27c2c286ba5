"""CloudWatch metrics as log lines, in the embedded metric format (EMF).

Lambda sends a function's standard output to CloudWatch Logs, which turns a
line in this format into a metric: no PutMetricData call, no extra
permission, nothing to fail on the request path. Locally the line is just
printed.
"""
from __future__ import annotations

import json
import os
import sys
import time

NAMESPACE = "Countersign"
# The function's name as Lambda sets it; the alarms in infra/resources.json use the same dimension.
DIMENSION = "FunctionName"
NEGATIVE_COUNTRY_TOTALS = "NegativeCountryTotals"


def line(name: str, value: float, properties: dict | None = None) -> str:
    """One EMF log line: ``name`` = ``value`` for this function, with ``properties`` as searchable context."""
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "local"
    return json.dumps({
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [[DIMENSION]],
                                   "Metrics": [{"Name": name, "Unit": "Count"}]}],
        },
        DIMENSION: function,
        name: value,
        **(properties or {}),
    }, sort_keys=True)


def emit(name: str, value: float, properties: dict | None = None) -> None:
    # Standard output, not the logging module: Lambda prefixes logging records,
    # and CloudWatch reads a line as a metric only when it is the JSON alone.
    sys.stdout.write(line(name, value, properties) + "\n")
    sys.stdout.flush()
