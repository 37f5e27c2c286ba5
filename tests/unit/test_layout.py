"""The shape docs/architecture.md promises: feature packages in layers, a thin app.py, tests that mirror
the code. Each check fails on the first module that breaks it."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_no_package_imports_one_above_it():
    """The import-linter contracts in pyproject.toml (the layers of chalicelib, bench -> tools -> chalicelib).

    In a process of its own: import-linter configures logging, which would silence the loggers other tests read.
    """
    run = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_app_py_is_the_app_its_middleware_and_the_blueprints():
    source = (ROOT / "app.py").read_text()
    assert len(source.splitlines()) < 80
    routes = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Attribute)
              and node.attr in ("route", "on_dynamodb_record", "schedule", "lambda_function")]
    assert routes == [], "routes and handlers belong to their package's blueprint"


def test_chalicelib_has_no_loose_module():
    assert sorted(p.name for p in (ROOT / "chalicelib").glob("*.py")) == ["__init__.py"]


def _test_modules():
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name.startswith("test_") or path.name == "conftest.py":
            yield path


@pytest.mark.parametrize("path", list(_test_modules()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_module_imports_another(path):
    """Shared helpers live in tests/support/ and fixtures in conftest files or the plugins there."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests."):
            last = node.module.rsplit(".", 1)[-1]
            assert not last.startswith("test_") and last != "conftest", f"{path}: imports {node.module}"


def test_every_package_has_its_mirror_under_tests_unit():
    packages = sorted(p.name for p in (ROOT / "chalicelib").iterdir()
                      if (p / "__init__.py").is_file())
    mirrors = {p.name for p in (ROOT / "tests" / "unit").iterdir() if p.is_dir()}
    assert [p for p in packages if p not in mirrors] == []
    assert os.path.isdir(ROOT / "tests" / "support")
