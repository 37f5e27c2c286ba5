"""Every cache a container keeps is made here, and so is on the one list ``reset_caches`` clears.

A Lambda container keeps module state from one invocation to the next:
settings, AWS clients, petitions read, parameters, compiled templates. Tests,
benchmarks and the local runner change the environment in process and must
then make the code forget all of it. A cache made through this module
registers itself as it is made, at import:

- ``@cached``: ``functools.cache`` (one entry per distinct arguments; a
  function with no arguments is computed once);
- ``@shipped``: the same, for what is built from files shipped in the
  package alone (templates, catalogs, the stylesheet, country names): it
  depends on no setting, so ``reset_caches`` keeps it (rebuilding a Jinja
  environment per language after every reset would cost each test that);
- ``keep(store)``: a module's own dict or OrderedDict, which it bounds and
  expires itself;
- ``Slot()``: one value, ``None`` until set.

No list of caches is kept by hand, so none can be left off one: a cache in a
module never imported holds nothing. tests/unit/aws/test_caches.py fails on a
cache made any other way (``functools.cache`` or ``lru_cache`` directly, a
module-level dict, ``global`` state).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

T = TypeVar("T")


class Clearable(Protocol):
    def clear(self) -> None: ...


C = TypeVar("C", bound=Clearable)

# The registry itself: each cache, and how to empty it. Only this module appends to it.
_registered: list[tuple[object, Callable[[], None]]] = []


def keep(store: C) -> C:
    """Register a store a module fills itself (a dict, an OrderedDict, anything with ``clear()``); returns it."""
    _registered.append((store, store.clear))
    return store


def cached(function: Callable[..., T]) -> _lru_cache_wrapper[T]:
    """``functools.cache``, registered. Arguments are the key: only for arguments from a small fixed set."""
    wrapper = functools.cache(function)
    _registered.append((wrapper, wrapper.cache_clear))
    return wrapper


def shipped(function: Callable[..., T]) -> _lru_cache_wrapper[T]:
    """``functools.cache`` for what only files in the package determine: registered, and kept by a reset."""
    wrapper = functools.cache(function)
    _registered.append((wrapper, _keep_shipped))
    return wrapper


def _keep_shipped() -> None:
    """A shipped file's cache: the same files give the same value, whatever the environment says."""


class Slot(Generic[T]):
    """One value a module keeps per container: ``None`` until it sets one, and again after ``reset_caches``."""

    def __init__(self) -> None:
        self.value: T | None = None
        keep(self)

    def clear(self) -> None:
        self.value = None


def is_shipped(cache: object) -> bool:
    """Is this a cache of shipped files, which a reset keeps?"""
    return any(kept is cache and clear is _keep_shipped for kept, clear in _registered)


def registered(cache: object) -> bool:
    """Was this cache made through this module (and so is emptied by ``reset_caches``)?"""
    return any(kept is cache for kept, _ in _registered)


def reset_caches() -> None:
    """Empty every registered cache: the next use reads settings, parameters and items again."""
    for _, clear in _registered:
        clear()
