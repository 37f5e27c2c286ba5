"""Package a stage for CloudFormation: ``python -m tools.package dev build/dev``.

Runs ``chalice package`` with the merge template, so the output folder holds
``sam.json`` (the generated template with infra/resources.json merged over it,
then what depends on the stage: see ``finish``) and ``deployment.zip`` (app.py,
chalicelib/ and the wheels of requirements.txt).
Nothing here talks to AWS; ``make deploy`` uploads and deploys the result.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tools import front_door, waf

ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = ROOT / "infra" / "resources.json"
STAGES = ("dev", "prod")
# Chalice picks the Lambda runtime from the Python that packages, and fetches
# wheels for it; the merge template pins python3.11, so package with 3.11.
RUNTIME = (3, 11)
# What deleting the stack does to its tables. A prod stack's deletion keeps them
# (RetainExceptOnCreate: but a failed first create still removes the empty tables
# it made, so a retry does not trip over their names). CloudFormation resolves no
# Fn::If in DeletionPolicy without the AWS::LanguageExtensions transform, and each
# stage is packaged on its own anyway, so the packaged template carries the value.
TABLE_DELETION_POLICY = {"dev": "Delete", "prod": "RetainExceptOnCreate"}


def package(stage: str, out: Path) -> Path:
    """Write the stage's template and code into ``out``; return the template's path."""
    if stage not in STAGES:
        raise SystemExit(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    if sys.version_info[:2] != RUNTIME:
        python = "python%d.%d" % RUNTIME
        raise SystemExit(
            "package with Python %d.%d, the functions' runtime (this is %d.%d). If this is the project's "
            "virtualenv, rebuild it with %s: rm -rf .venv && make venv PYTHON=%s"
            % (*RUNTIME, *sys.version_info[:2], python, python))
    from tools.stream_settings import stream_settings

    stream_settings()  # refuses settings the tally cannot count under, before anything is built
    out = Path(out).resolve()
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ)
    # The template does not depend on the region (it uses AWS::Region), but
    # Chalice wants one to start; deploy picks the real one.
    if not env.get("AWS_DEFAULT_REGION"):
        env["AWS_DEFAULT_REGION"] = env.get("AWS_REGION") or "us-east-1"
    command = [
        sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
        "--project-dir", str(ROOT),
        "package", "--stage", stage, "--merge-template", str(MERGE_TEMPLATE), str(out),
    ]
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    sam = out / "sam.json"
    sam.write_text(json.dumps(finish(json.loads(sam.read_text()), stage), indent=2) + "\n")
    # The CloudFront-scope web ACL's own stack, for us-east-1 (tools/waf.py; make deploy-edge-waf).
    (out / "waf-edge.json").write_text(json.dumps(waf.edge_template(), indent=2) + "\n")
    return sam


def finish(template: dict, stage: str) -> dict:
    """Add to the packaged template what depends on the stage and a merge template cannot say."""
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::DynamoDB::Table":
            resource["DeletionPolicy"] = TABLE_DELETION_POLICY[stage]
    origins = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"].get("ALLOWED_ORIGINS", "")
    responses = gateway_cors_responses(origins)
    if responses:
        template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"] = responses
    front_door.add(template)  # the HTTP API's routes and the CDN's behaviours, from the app's routes
    share_mail_settings(template)
    waf.add(template)  # the web ACL on a REST stage (Waf=on), and no direct signing past a CDN web ACL
    return template


# The API sends mail too (admin sign-in links), through the same sender as the
# mailer: the same transport, sender and configuration set. (Not the mailer's
# PUBLIC_BASE_URL fallback to the distribution's address: the distribution
# depends on the API, so the API takes the PublicBaseUrl parameter as it is.)
SHARED_MAIL_SETTINGS = ("MAIL_TRANSPORT", "MAIL_FROM", "MAIL_CONFIGURATION_SET")


def share_mail_settings(template: dict) -> None:
    """Give the API function the mailer's mail settings, so both are configured in one place."""
    resources = template["Resources"]
    mailer = resources["SendVerificationMail"]["Properties"]["Environment"]["Variables"]
    api = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    api.update({name: mailer[name] for name in SHARED_MAIL_SETTINGS})


def gateway_cors_responses(allowed_origins: str) -> dict:
    """CORS headers on the errors API Gateway answers itself (throttling, integration timeouts, 502s...).

    The app adds CORS headers to its own answers, for the origins in
    ALLOWED_ORIGINS; an error that never reached it had none, so a page on an
    allowed site saw a network failure instead of a status it could report.
    A gateway response can only carry fixed values: one allowed origin is
    named; for several, "*" (these bodies are API Gateway's generic messages,
    with nothing of the app's in them). No origins, no headers.
    """
    origins = [o.strip().rstrip("/") for o in allowed_origins.split(",") if o.strip()]
    for origin in origins:
        if not re.fullmatch(r"https?://[A-Za-z0-9.:\[\]-]+", origin):
            raise SystemExit(f"ALLOWED_ORIGINS: {origin!r} is not an origin (scheme://host[:port])")
    if not origins:
        return {}
    allow = origins[0] if len(origins) == 1 else "*"
    headers = {"Access-Control-Allow-Origin": f"'{allow}'"}
    return {kind: {"ResponseParameters": {"Headers": dict(headers)}} for kind in ("DEFAULT_4XX", "DEFAULT_5XX")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.package", description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    print(package(args.stage, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
