"""The deploy tests' fixtures: every stage packaged once per session, as `make package` does, and expanded
as CloudFormation would."""
from __future__ import annotations

import json

import pytest

from tests.support.deploy import FUNCTIONS
from tools import package as packaging


@pytest.fixture(scope="session")
def packaged(tmp_path_factory):
    """Every stage's packaged template, keyed by stage."""
    templates = {}
    for stage in packaging.STAGES:
        sam = packaging.package(stage, tmp_path_factory.mktemp(stage) / "out")
        assert (sam.parent / "deployment.zip").stat().st_size > 0
        templates[stage] = sam.read_text()
    return templates


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
