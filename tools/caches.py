"""Forget what the app's code caches per container, after changing its environment in process."""
from __future__ import annotations

from chalicelib import aws, config, models, petitions, signing_secret


def reset_caches() -> None:
    config.reset()
    aws.reset()
    signing_secret.reset()
    petitions.forget()
    models._bound = None
