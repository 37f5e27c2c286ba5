"""Forget what the app's code caches per container, after changing its environment in process."""
from __future__ import annotations

from chalicelib import mail
from chalicelib.admin import signin
from chalicelib.aws import clients, config, models
from chalicelib.fraud import blocklists, challenge, trending
from chalicelib.identity import canonical_email
from chalicelib.petitions import catalog
from chalicelib.tally import stream_tally, totals
from chalicelib.verification import tokens


def reset_caches() -> None:
    """Every container cache of chalicelib, for tests and benchmarks (each module owns a ``reset()``)."""
    for module in (config, clients, canonical_email, catalog, models, stream_tally, totals, tokens, mail, signin,
                   blocklists, trending, challenge):
        module.reset()
