"""Moving the routes and handlers into feature blueprints kept what is deployed: the same functions, under
the same logical IDs, each running the handler of the same name, and the same route table.

The packaged template before the move named the same five functions and these routes; a blueprint's
function runs from its own module (``chalicelib.tally.routes.on_signature_change``), which Lambda imports
from the zip, so only the module part of ``Handler`` changed.
"""
from __future__ import annotations

import importlib
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from tools.stream_consumers import CONSUMERS

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = {
    "APIHandler": "app",
    "Export": "export_operation",
    "OnSignatureChange": "on_signature_change",
    "Retention": "retention_schedule",
    "SendVerificationMail": "send_verification_mail"
}

ROUTES = {
    "GET /",
    "GET /admin",
    "GET /admin/api/audit",
    "GET /admin/api/petitions",
    "GET /admin/api/petitions/{petition_id}",
    "GET /admin/api/session",
    "GET /admin/audit",
    "GET /admin/new",
    "GET /admin/petitions/{petition_id}",
    "GET /admin/petitions/{petition_id}/edit",
    "GET /admin/petitions/{petition_id}/exports/{name}",
    "GET /admin/sign-in",
    "GET /admin/sign-in/{token}",
    "GET /osdi/v1/petitions/{petition_id}",
    "GET /petitions/{petition_id}",
    "GET /petitions/{petition_id}/badge.svg",
    "GET /petitions/{petition_id}/card.png",
    "GET /petitions/{petition_id}/confirm",
    "GET /petitions/{petition_id}/dashboard",
    "GET /petitions/{petition_id}/embed",
    "GET /petitions/{petition_id}/remove",
    "GET /petitions/{petition_id}/remove/confirm",
    "GET /petitions/{petition_id}/sign",
    "GET /petitions/{petition_id}/thanks",
    "GET /petitions/{petition_id}/totals",
    "GET /petitions/{petition_id}/updates/confirm",
    "GET /privacy",
    "GET /static/{name}",
    "OPTIONS /petitions/{petition_id}/signatures",
    "POST /admin/api/petitions",
    "POST /admin/api/petitions/{petition_id}",
    "POST /admin/api/petitions/{petition_id}/status",
    "POST /admin/petitions",
    "POST /admin/petitions/{petition_id}",
    "POST /admin/petitions/{petition_id}/erase",
    "POST /admin/petitions/{petition_id}/exports",
    "POST /admin/petitions/{petition_id}/invalidation/apply",
    "POST /admin/petitions/{petition_id}/invalidation/preview",
    "POST /admin/petitions/{petition_id}/status",
    "POST /admin/preview",
    "POST /admin/sign-in",
    "POST /admin/sign-in/{token}",
    "POST /admin/sign-out",
    "POST /osdi/v1/petitions/{petition_id}/signatures",
    "POST /petitions/{petition_id}/confirm",
    "POST /petitions/{petition_id}/confirm/resend",
    "POST /petitions/{petition_id}/remove",
    "POST /petitions/{petition_id}/remove/confirm",
    "POST /petitions/{petition_id}/signatures",
    "POST /petitions/{petition_id}/updates/confirm",
}


def _functions(template) -> dict[str, str]:
    return {name: resource["Properties"]["Handler"] for name, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::Function"}


def test_the_same_functions_run_the_same_handlers(template):
    handlers = _functions(template)
    assert {name: handler.rsplit(".", 1)[-1] for name, handler in handlers.items()} == FUNCTIONS


@pytest.mark.parametrize("function", sorted(set(FUNCTIONS) - {"APIHandler"}))
def test_each_handler_is_one_the_app_registered(template, function):
    import app

    module, _, name = _functions(template)[function].rpartition(".")
    handler = getattr(importlib.import_module(module), name)
    assert any(handler is registered for registered in app.app.handler_map.values())


def test_the_api_handler_is_the_app_itself(template):
    import app

    assert _functions(template)["APIHandler"] == "app.app" and isinstance(app.app, type(app.app))


def test_the_route_table_is_unchanged(template):
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert {f"{method.upper()} {path}" for path, operations in paths.items() for method in operations
            if not method.startswith("x-")} == ROUTES


@pytest.mark.parametrize("consumer", sorted(CONSUMERS))
def test_the_local_stream_runner_drives_the_deployed_stream_handlers(template, consumer):
    """tools/stream_consumers.py names each stream reader by handler and logical ID, as the template does."""
    import app

    expected = CONSUMERS[consumer]
    assert _functions(template)[expected.function].endswith("." + expected.handler)
    assert expected.handler in app.app.handler_map


@pytest.mark.parametrize("function", sorted(set(FUNCTIONS) - {"APIHandler"}))
def test_a_handler_imported_alone_logs_at_info_as_the_api_does(template, function):
    """Lambda imports a blueprint function's module without app.py: its INFO lines (one per batch) must show."""
    module = _functions(template)[function].rpartition(".")[0]
    code = f"import logging, {module}; print(logging.getLogger('{module}').getEffectiveLevel())"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert int(run.stdout.strip()) == logging.INFO
