"""Forget what the app's code caches per container, after changing its environment in process."""
from __future__ import annotations

from chalicelib import aws, canonical_email, config, mail, models, petitions, stream_tally, totals
from chalicelib.admin import signin
from chalicelib.fraud import blocklists, challenge, trending
from chalicelib.verification import tokens


def reset_caches() -> None:
    """Every container cache of chalicelib, for tests and benchmarks (each module owns a ``reset()``)."""
    for module in (config, aws, canonical_email, petitions, models, stream_tally, totals, tokens, mail, signin,
                   blocklists, trending, challenge):
        module.reset()
