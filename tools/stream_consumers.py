"""The readers of the signatures stream that the local runner can drive, as Lambda drives them deployed."""
from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass

from tools.stream_settings import KEYS


@dataclass(frozen=True)
class Consumer:
    """One reader of the signatures stream: a deployed handler and where its local state lives."""

    handler: str  # the function's name, as the app registers it (its blueprint lives in chalicelib/)
    function: str  # its logical id in the template, which holds its event source settings
    files: str  # prefix of its checkpoint and failure files


CONSUMERS = {
    "tally": Consumer("on_signature_change", "OnSignatureChange", "stream"),
    "mailer": Consumer("send_verification_mail", "SendVerificationMail", "mail-stream"),
}


def app_handler(consumer: str = "tally") -> Callable:
    """The deployed stream handler itself (Chalice's handler object takes a raw Lambda event)."""
    import app  # imported late: the environment must be set first

    return app.app.handler_map[CONSUMERS[consumer].handler]


def setting(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` from the command line, the value read as JSON (``MaximumBatchingWindowInSeconds=1``)."""
    key, _, value = text.partition("=")
    if key not in KEYS or not value:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE with KEY one of {', '.join(KEYS)}")
    return key, json.loads(value)
