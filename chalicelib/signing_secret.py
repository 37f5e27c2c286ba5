"""The secret that keys signature hashes.

Deployed stages read it once per container from SSM Parameter Store
(SecureString, named by ``SIGNATURE_KEY_PARAMETER``); local runs and tests
set ``SIGNATURE_KEY_SECRET`` directly.
"""
from __future__ import annotations

from functools import lru_cache

from . import aws, config


class MissingSecret(RuntimeError):
    pass


@lru_cache(maxsize=1)
def signature_secret() -> bytes:
    s = config.settings()
    if s.signature_key_secret:
        return s.signature_key_secret.encode("utf-8")
    if s.signature_key_parameter:
        reply = aws.ssm().get_parameter(Name=s.signature_key_parameter, WithDecryption=True)
        return reply["Parameter"]["Value"].encode("utf-8")
    raise MissingSecret("set SIGNATURE_KEY_SECRET or SIGNATURE_KEY_PARAMETER")


def reset() -> None:
    signature_secret.cache_clear()
