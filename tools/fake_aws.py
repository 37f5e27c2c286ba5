"""The environment that keeps dev, test and benchmark processes away from real AWS.

DynamoDB Local and moto accept any credentials; fake ones keep real ones out
of reach. The dev stack gives these to its children, the tests and the
benchmarks to their own process.

Only the standard library: ``make clean-data`` imports the dev stack before
the virtualenv exists.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

REGION = "us-east-1"
CREDENTIAL = "local"

SETTINGS = {
    "AWS_ACCESS_KEY_ID": CREDENTIAL,
    "AWS_SECRET_ACCESS_KEY": CREDENTIAL,
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    # botocore >= 1.44 sends DynamoDB Streams calls to an account-based host, which moto does not route.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}
# For a boto3 client made directly on a local endpoint.
CLIENT_ARGUMENTS = {"region_name": REGION, "aws_access_key_id": CREDENTIAL, "aws_secret_access_key": CREDENTIAL}

# Variables that would point a process at real AWS or at a deployed stage's secret.
SCRUBBED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "SIGNATURE_KEY_PARAMETER",
            "VERIFY_TOKEN_PARAMETER")
SCRUBBED_PREFIX = "AWS_ENDPOINT_URL"  # and every AWS_ENDPOINT_URL_<SERVICE>


def scrubbed(name: str) -> bool:
    return name in SCRUBBED or name.startswith(SCRUBBED_PREFIX)


def environment(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` without the scrubbed variables, with the fake AWS settings over it (for a child)."""
    return {**{name: value for name, value in base.items() if not scrubbed(name)}, **SETTINGS}


def apply(environ: MutableMapping[str, str] = os.environ) -> None:
    """The same, in place (for this process)."""
    for name in [name for name in environ if scrubbed(name)]:
        del environ[name]
    environ.update(SETTINGS)
