"""Package a stage for CloudFormation: ``python -m tools.package dev build/dev``.

Runs ``chalice package`` with the merge template, so the output folder holds
``sam.json`` (the generated template with infra/resources.json merged over it)
and ``deployment.zip`` (app.py, chalicelib/ and the wheels of requirements.txt).
Nothing here talks to AWS; ``make deploy`` uploads and deploys the result.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MERGE_TEMPLATE = ROOT / "infra" / "resources.json"
STAGES = ("dev", "prod")
# Chalice picks the Lambda runtime from the Python that packages, and fetches
# wheels for it; the merge template pins python3.11, so package with 3.11.
RUNTIME = (3, 11)


def package(stage: str, out: Path) -> Path:
    """Write the stage's template and code into ``out``; return the template's path."""
    if stage not in STAGES:
        raise SystemExit(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    if sys.version_info[:2] != RUNTIME:
        wanted, running = ".".join(map(str, RUNTIME)), ".".join(map(str, sys.version_info[:2]))
        raise SystemExit(f"package with Python {wanted}, the functions' runtime (this is {running})")
    from tools.stream_settings import stream_settings

    stream_settings()  # refuses settings the tally cannot count under, before anything is built
    out = Path(out).resolve()
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ)
    # The template does not depend on the region (it uses AWS::Region), but
    # Chalice wants one to start; deploy picks the real one.
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION") or "us-east-1")
    command = [
        sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
        "--project-dir", str(ROOT),
        "package", "--stage", stage, "--merge-template", str(MERGE_TEMPLATE), str(out),
    ]
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    return out / "sam.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.package", description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    print(package(args.stage, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
