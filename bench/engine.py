"""Where the benchmarks' tables live: DynamoDB Local, set up like the app's own configuration."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

from tools import fake_aws
from tools.caches import reset_caches

TABLES = {
    "SIGNATURES_TABLE": "bench-signatures",
    "PETITIONS_TABLE": "bench-petitions",
    "TOTALS_TABLE": "bench-totals",
}
ENVIRONMENT = {
    "SIGNATURE_KEY_SECRET": "bench-secret",
    "PETITION_CACHE_SECONDS": "10",  # as deployed (.chalice/config.json)
    "TOTALS_CACHE_SECONDS": "0",  # every read of the totals measured is an uncached one
}


def configure(endpoint: str | None) -> None:
    """Point the app's code, in this process, at ``endpoint`` and the bench tables."""
    fake_aws.apply(os.environ)
    os.environ.update({**ENVIRONMENT, **TABLES})
    if endpoint:
        os.environ["DYNAMODB_ENDPOINT"] = endpoint
    else:
        os.environ.pop("DYNAMODB_ENDPOINT", None)
    reset_caches()


def create_tables() -> None:
    from tools import schema

    schema.create_tables()


def new_petition(prefix: str, goal: int = 1_500_000) -> str:
    """A fresh open petition and its totals item; its id is unique to this run."""
    from tools import petition_admin

    petition_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
    petition_admin.create(petition_id, "Benchmark petition", "A petition the benchmarks sign.", goal)
    return petition_id


@contextmanager
def dynamodb_local():
    """A fresh in-memory DynamoDB Local with the bench tables; yields its endpoint."""
    from tools.ddblocal import DynamoDBLocal

    with DynamoDBLocal() as database:
        configure(database.endpoint)
        create_tables()
        yield database.endpoint
