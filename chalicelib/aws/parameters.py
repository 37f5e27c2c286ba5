"""Values read at run time from SSM Parameter Store (or, locally, a file), through one cache per container.

    secret = parameters.get("/countersign/prod/signature-key-secret", decrypt=True, transform=str.encode)
    lists = parameters.get(name, max_age=60, transform=parse, missing=EMPTY, keep_last_good=True)

The one way the app reads a parameter, in the manner of Powertools for AWS
Lambda's parameters utility:

- One entry per (source, name, decryption, transform), in one registered
  cache (``reset_caches`` empties it). ``transform`` runs once per fetch and
  its result is what is kept, so a value parsed on the sign path is parsed
  once per fetch, not per request. Being part of the key, a transform is a
  module's function (or a builtin like ``str.encode``), never a lambda made
  per call.
- ``max_age`` is the caller's, per call, counted from the fetch (monotonic
  clock). The default keeps a value for the container's life: secrets.
- A failed fetch is remembered for ``retry_after`` seconds (``FAILURE_SECONDS``
  unless the caller says): while Parameter Store is down or slow every caller
  fails at once, instead of each waiting out the SSM client's timeouts again
  (clients.LIMITS bounds one fetch). A value the transform refuses (by raising
  ValueError) is a failed fetch too, so a bad document is not fetched again on
  every request.
- Failure is ``Unavailable``, carrying AWS's error code as ``aws_error_code``
  (what ``clients.error_code`` logs). It is a BotoCoreError, so every handler
  that answers an AWS failure with a 503 answers this one the same way.
- ``missing``: what a parameter that does not exist reads as, kept like a
  value; without it, a missing parameter is a failure (``ParameterNotFound``).
- ``keep_last_good``: while fetches fail, the last good value stays in force
  (a failure with none yet is still ``Unavailable``).
- Parameter Store is asked with GetParameter alone, decrypting only when
  asked: what the stack's policies grant (tests/deploy check them).
- The log names the parameter and the error's kind, never a value, nor a
  transform's message (it could quote the value).
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, overload

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.aws import caches, clients

log = logging.getLogger(__name__)

T = TypeVar("T")
Source = Callable[[str, bool], str]  # (name, decrypt) -> the value; raises BotoCoreError, ClientError or OSError

FOREVER = math.inf
FAILURE_SECONDS = 5.0  # after a failed fetch, ask again after this long (unless the caller says otherwise)
NOT_FOUND = "ParameterNotFound"


class Unavailable(BotoCoreError):
    """The parameter could not be read just now (or not within the back-off): a 503, nobody's input is at fault."""

    fmt = "the parameter {name} is unavailable ({code})"

    def __init__(self, name: str, code: str):
        super().__init__(name=name, code=code)
        self.parameter = name
        self.aws_error_code = code


def ssm(name: str, decrypt: bool) -> str:
    """Parameter Store's value (deployed stages)."""
    return clients.ssm().get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]["Value"]


def local_file(path: str, decrypt: bool) -> str:
    """A file's text, standing in for a parameter where there is no Parameter Store (``make run``, tests)."""
    return Path(path).read_text(encoding="utf-8")


def _not_found(exc: BaseException) -> bool:
    return isinstance(exc, FileNotFoundError) or (isinstance(exc, ClientError) and clients.error_code(exc) == NOT_FOUND)


@dataclass
class _Entry:
    value: Any = None
    fetched_at: float | None = None  # monotonic seconds; None: no good value yet
    failure: str | None = None  # the remembered failure's code, until ``retry_at``
    retry_at: float = -math.inf


_entries: dict[tuple, _Entry] = caches.keep({})
_RAISE: Any = object()  # ``missing`` not given: a parameter that does not exist is a failure


class _Failed(Exception):
    def __init__(self, kind: str, code: str):
        super().__init__(code)
        self.kind, self.code = kind, code


@overload
def get(name: str, *, max_age: float = ..., decrypt: bool = ..., retry_after: float | None = ...,
        source: Source = ...) -> str: ...


@overload
def get(name: str, *, transform: Callable[[str], T], max_age: float = ..., decrypt: bool = ..., missing: T = ...,
        keep_last_good: bool = ..., retry_after: float | None = ..., source: Source = ...) -> T: ...


def get(name: str, *, transform: Callable[[str], Any] | None = None, max_age: float = FOREVER, decrypt: bool = False,
        missing: Any = _RAISE, keep_last_good: bool = False, retry_after: float | None = None,
        source: Source = ssm) -> Any:
    """The parameter's value (transformed), from the cache while younger than ``max_age``; see the module's rules."""
    entry = _entries.setdefault((source, name, decrypt, transform), _Entry())
    now = time.monotonic()
    if entry.fetched_at is not None and now - entry.fetched_at < max_age:
        return entry.value
    keeping = keep_last_good and entry.fetched_at is not None
    if entry.failure is None or now >= entry.retry_at:
        try:
            entry.value = _fetch(source, name, decrypt, transform, missing)
        except _Failed as failed:
            backoff = FAILURE_SECONDS if retry_after is None else retry_after
            # Counted from the failure, not the ask: a stalled fetch has used up its timeouts already.
            entry.failure, entry.retry_at = failed.code, time.monotonic() + backoff
            log.error("parameter %s name=%s error=%s asking again in %.0f s%s", failed.kind, name, failed.code,
                      backoff, ", keeping the last good value" if keeping else "")
            if keeping:
                return entry.value
            raise Unavailable(name, failed.code) from failed.__cause__
        entry.fetched_at, entry.failure = now, None
        return entry.value
    if keeping:
        return entry.value
    raise Unavailable(name, entry.failure)


def _fetch(source: Source, name: str, decrypt: bool, transform: Callable[[str], Any] | None, missing: Any) -> Any:
    """One fetch, transformed; _Failed says why there is no value (the source's error is its cause)."""
    try:
        text = source(name, decrypt)
    except (BotoCoreError, ClientError, OSError) as exc:
        if missing is not _RAISE and _not_found(exc):
            return missing
        raise _Failed("unreadable", clients.error_code(exc)) from exc
    if transform is None:
        return text
    try:
        return transform(text)
    except ValueError as exc:  # the transform's refusal: the value is there but unusable
        raise _Failed("unusable", type(exc).__name__) from exc


def reset() -> None:
    """Forget every value and remembered failure (tests change parameters and settings in process)."""
    _entries.clear()
