"""The API keeps the contract in docs/openapi.yaml under Schemathesis, against the local stack.

Every check runs (server errors, status codes, content types, headers, response
schemas, valid data accepted and invalid data rejected, ...), in every phase
(the document's examples, boundary cases from each schema, random fuzzing,
stateful sequences), except the handling of HTTP methods that no operation
declares: deployed, API Gateway answers those before the app (settings in
tests/integration/schemathesis.toml).

The seed is fixed, so a run is reproducible and CI sees the same cases every
time; for a deeper run, set CONTRACT_FUZZ_EXAMPLES (per operation, default
100) and CONTRACT_FUZZ_SEED. A failure prints Schemathesis' report, with a
curl command that reproduces each case.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent.parent
DOCUMENT = ROOT / "docs" / "openapi.yaml"
SETTINGS = Path(__file__).resolve().parent / "schemathesis.toml"
EXAMPLES = int(os.environ.get("CONTRACT_FUZZ_EXAMPLES") or 100)
SEED = int(os.environ.get("CONTRACT_FUZZ_SEED") or 20261127)


def documented_operations() -> int:
    paths = yaml.safe_load(DOCUMENT.read_text())["paths"]
    return sum(1 for item in paths.values() for method in item if method in ("get", "post", "put", "patch",
                                                                             "delete", "options", "head"))


@pytest.mark.slow
def test_the_api_keeps_its_contract_under_fuzzing(stack, tmp_path):
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(SETTINGS), "--no-color",
        "run", str(DOCUMENT), "--url", stack.base_url,
        "--checks", "all",
        "--max-examples", str(EXAMPLES), "--seed", str(SEED),
        "--generation-database", "none",
        "--workers", "1",
        "--request-timeout", "30",
        "--report", "junit", "--report-junit-path", str(tmp_path / "schemathesis.xml"),
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-20_000:]
    tested = re.search(r"Tested:\s+(\d+)", report)
    assert tested and int(tested.group(1)) == documented_operations(), report[-5_000:]
    assert re.search(r"\d+ generated, (\d+) passed", report), report[-5_000:]
