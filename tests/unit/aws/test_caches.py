"""No cache in chalicelib can be forgotten: each is made through aws/caches.py, which ``reset_caches`` empties.

Two checks, each of which fails on a cache added any other way:
- the source: no ``functools.cache``/``lru_cache``/``cached_property``, no
  ``global`` state, no mutable container bound at module or class level
  outside ``caches``;
- the imported modules: every memoised function and every module-level
  container is one the registry holds.
The last tests show that both checks catch a cache made the old way.
"""
from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
import types
from collections import deque
from pathlib import Path

import pytest

import chalicelib
from chalicelib.aws import caches
from tools.caches import reset_caches

ROOT = Path(chalicelib.__file__).resolve().parent
REGISTRY = ROOT / "aws" / "caches.py"
MEMOISERS = {"cache", "lru_cache", "cached_property"}  # functools' caches: only the registry may use them
CONTAINER_CALLS = {"dict", "list", "set", "bytearray", "OrderedDict", "defaultdict", "deque", "Counter"}
CONTAINERS = (dict, list, set, bytearray, deque)  # OrderedDict, defaultdict and Counter are dicts


def constant(name: str) -> bool:
    """``HTTP_STATUS``, ``_PROJECTION``, ``__all__``: names that promise a value nobody changes."""
    return name.isupper() or (name.startswith("__") and name.endswith("__"))


def _bound_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _bound_names(element)]
    return []


def _is_container(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Dict | ast.List | ast.Set | ast.DictComp | ast.ListComp | ast.SetComp):
        return True
    if isinstance(value, ast.Call):
        called = value.func
        name = called.id if isinstance(called, ast.Name) else called.attr if isinstance(called, ast.Attribute) else ""
        return name in CONTAINER_CALLS
    return False


def _assignments(body: list[ast.stmt]):
    for statement in body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                for name in _bound_names(target):
                    yield statement, name, statement.value
        elif isinstance(statement, ast.AnnAssign):
            yield statement, *(_bound_names(statement.target) or [""]), statement.value


def source_violations(text: str, path: str) -> list[str]:
    """Places in one module's source that make a cache without the registry."""
    tree = ast.parse(text)
    found = []
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module == "functools":
            found += [f"{where} imports functools.{a.name}" for a in node.names if a.name in MEMOISERS]
        elif isinstance(node, ast.Attribute) and node.attr in MEMOISERS and \
                isinstance(node.value, ast.Name) and node.value.id == "functools":
            found.append(f"{where} uses functools.{node.attr}")
        elif isinstance(node, ast.Global):
            found.append(f"{where} keeps global state ({', '.join(node.names)})")
    bodies = [tree.body] + [node.body for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    for body in bodies:
        for statement, name, value in _assignments(body):
            if name and not constant(name) and _is_container(value):
                found.append(f"{path}:{statement.lineno} keeps a container ({name}) the registry does not know")
    return found


def module_level_names(module: types.ModuleType) -> set[str]:
    """Names the module binds itself at its top level (not the ones it imports)."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    return {name for _, name, _ in _assignments(tree.body)}


def is_memoised(value: object) -> bool:
    return callable(value) and hasattr(value, "cache_clear") and hasattr(value, "cache_info")


def caches_of(module: types.ModuleType) -> list[tuple[str, object]]:
    """Everything in the module that keeps values between calls: memoised functions (its classes' methods
    included), containers at module level, slots."""
    found = []
    own = module_level_names(module)
    for name, value in vars(module).items():
        if is_memoised(value) and getattr(value, "__module__", None) == module.__name__:
            found.append((f"{module.__name__}.{name}", value))
        elif isinstance(value, caches.Slot) or (isinstance(value, CONTAINERS) and name in own and not constant(name)):
            found.append((f"{module.__name__}.{name}", value))
        elif isinstance(value, type) and value.__module__ == module.__name__:
            found += [(f"{module.__name__}.{name}.{attribute}", member) for attribute, member in vars(value).items()
                      if is_memoised(member)]
    return found


def every_module() -> list[types.ModuleType]:
    names = [info.name for info in pkgutil.walk_packages(chalicelib.__path__, "chalicelib.")]
    return [chalicelib] + [importlib.import_module(name) for name in names]


def every_cache() -> list[tuple[str, object]]:
    return [found for module in every_module() if module.__name__ != caches.__name__ for found in caches_of(module)]


def is_empty(cache: object) -> bool:
    if is_memoised(cache):
        return cache.cache_info().currsize == 0  # type: ignore[attr-defined]
    if isinstance(cache, caches.Slot):
        return cache.value is None
    return len(cache) == 0  # type: ignore[arg-type]


# ---- the checks ------------------------------------------------------------------------------------------

def test_no_module_makes_a_cache_without_the_registry():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if path != REGISTRY:
            found += source_violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT.parent)))
    assert found == []


def test_every_cache_a_module_holds_is_registered():
    everything = every_cache()
    assert len(everything) >= 20  # the scan sees the caches there are (settings, clients, pages, ...)
    assert [name for name, cache in everything if not caches.registered(cache)] == []


def test_the_caches_the_hand_kept_list_missed_are_registered():
    from chalicelib.sharing import card
    from chalicelib.web import pages

    for cache in (card._kept, pages._env, pages.inline_style):
        assert caches.registered(cache)


def test_reset_caches_empties_every_cache(tables, client, petition):
    from chalicelib.sharing import card

    assert client.get("/petitions/demo/sign").status_code == 200  # fills settings, clients, pages, the catalog ...
    image = {"Accept": "image/png"}
    assert client.get("/petitions/demo/card.png", headers=image).status_code == 200  # ... and the share card's
    filled = [name for name, cache in every_cache() if not is_empty(cache)]
    assert {"chalicelib.aws.config.settings", "chalicelib.petitions.catalog._cache",
            "chalicelib.web.pages._env", "chalicelib.sharing.card._kept"} <= set(filled)
    assert card._kept
    reset_caches()
    assert [name for name, cache in every_cache() if not is_empty(cache) and not caches.is_shipped(cache)] == []
    # What a reset keeps is built from the package's own files alone: templates, catalogs, stylesheet, countries.
    assert {name for name, cache in every_cache() if caches.is_shipped(cache)} == {
        "chalicelib.web.pages._assets", "chalicelib.web.pages.inline_style", "chalicelib.web.pages.inline_style_hash",
        "chalicelib.web.pages._env", "chalicelib.mail.compose._env", "chalicelib.i18n.translations",
        "chalicelib.i18n._number_format", "chalicelib.i18n.countries.codes", "chalicelib.i18n.countries._lists",
        "chalicelib.petitions.markdown._parser"}


# ---- the checks catch a cache made the old way -----------------------------------------------------------

@pytest.mark.parametrize("code", [
    "import functools\n\n@functools.cache\ndef f(x):\n    return x\n",
    "from functools import lru_cache\n\n@lru_cache(maxsize=1)\ndef f():\n    return 1\n",
    "import functools\n\nf = functools.lru_cache()(len)\n",
    "_kept = {}\n",
    "_seen: dict[str, float] = dict()\n",
    "from collections import OrderedDict\n\n_cache = OrderedDict()\n",
    "class Holder:\n    memo = {}\n",
    "_value = None\n\ndef put(v):\n    global _value\n    _value = v\n",
])
def test_the_source_check_finds_a_cache_made_without_the_registry(code):
    assert source_violations(code, "new.py")


@pytest.mark.parametrize("code", [
    "from chalicelib.aws import caches\n\n@caches.cached\ndef f(x):\n    return x\n",
    "from collections import OrderedDict\nfrom chalicelib.aws import caches\n\n_cache = caches.keep(OrderedDict())\n",
    "from chalicelib.aws import caches\n\n_value: caches.Slot[int] = caches.Slot()\n",
    "LIMITS = {'a': 1}\n_PROJECTION = {}\n__all__ = ['x']\n",
])
def test_the_source_check_accepts_the_registrys_caches_and_constants(code):
    assert source_violations(code, "new.py") == []


def test_the_module_check_finds_an_unregistered_cache(tmp_path, monkeypatch):
    source = ("import functools\nfrom chalicelib.aws import caches\n\n"
              "@functools.cache\ndef forgotten(x):\n    return x\n\n"
              "@caches.cached\ndef kept(x):\n    return x\n\n"
              "_kept = {}\n_registered = caches.keep({})\nCONSTANT = {}\n\n"
              "class Thing:\n    @functools.lru_cache(maxsize=8)\n    def method(self):\n        return 1\n")
    (tmp_path / "cache_probe.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("cache_probe")
    found = {name.removeprefix("cache_probe."): caches.registered(cache) for name, cache in caches_of(module)}
    assert found == {"forgotten": False, "kept": True, "_kept": False, "_registered": True, "Thing.method": False}
    assert isinstance(module.forgotten, functools._lru_cache_wrapper)
