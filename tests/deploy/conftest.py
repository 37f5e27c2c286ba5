"""The deploy tests' fixtures: every stage packaged once per session, as `make package` does, and expanded
as CloudFormation would."""
from __future__ import annotations

import fcntl
import json

import pytest

from tests.support.deploy import FUNCTIONS
from tools import package as packaging


@pytest.fixture(scope="session")
def packaged(tmp_path_factory, worker_id):
    """Every stage's packaged template, keyed by stage.

    Packaging takes minutes of ``chalice package``: under pytest-xdist the first worker to ask packages
    into the run's shared temporary folder and the others wait for it and read the same output.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if worker_id != "master" else base
    with (shared / "packaged.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = shared / "packaged"
        made = out / "templates.json"
        if not made.is_file():
            templates = {}
            for stage in packaging.STAGES:
                sam = packaging.package(stage, out / stage)
                assert (sam.parent / "deployment.zip").stat().st_size > 0
                templates[stage] = sam.read_text()
            made.write_text(json.dumps(templates))
    return json.loads(made.read_text())


@pytest.fixture(scope="session")
def template(packaged):
    return json.loads(packaged["dev"])


@pytest.fixture(scope="session")
def transformed(packaged):
    """Each stage's template as CloudFormation expands it (code already uploaded)."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # only SAM's own policy templates would need them; we use none
        def load(self):
            return {}

    expanded = {}
    for stage, text in packaged.items():
        template = json.loads(text)
        for function in FUNCTIONS:  # what `aws cloudformation package` does to CodeUri
            template["Resources"][function]["Properties"]["CodeUri"] = "s3://bucket/countersign/code.zip"
        expanded[stage] = transform(template, {"Stage": stage}, NoManagedPolicies())
    return expanded
