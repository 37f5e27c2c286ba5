"""A scripted burst against the dev stack: detected by the tally, previewed, invalidated, revalidated, reconciled.

The issue's numbers: 5,000 signatures from one client address mixed with 500
honest ones from many addresses. Each client names its address with
X-Forwarded-For, which only the dev stack believes.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.fraud import identity
from tests.support.stack import http, stored_by_country, totals, wait_for_totals
from tools.dev_state import signature_secret
from tools.devstack import ROOT

pytestmark = pytest.mark.integration

BURST, HONEST = 5000, 500
SCRIPT_ADDRESS = "203.0.113.66"
COUNTRIES = ["GB", "FR", "DE", "KE", "BR"]


def post(base_url: str, email: str, country: str, address: str) -> int:
    fields = {"name": "Signer", "email": email, "country": country, "consent": "on"}
    return http().post(f"{base_url}/petitions/demo/signatures", data=urllib.parse.urlencode(fields),
                       allow_redirects=False, timeout=30,
                       headers={"content-type": "application/x-www-form-urlencoded", "x-forwarded-for": address,
                                "user-agent": "python-requests/2.32"}).status_code


def run_tool(stack, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "tools.invalidate", *args, "--json", "--yes"], cwd=ROOT,
                            env=stack.env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def trending_reports(stack) -> list[dict]:
    log = (stack.state_dir / "logs" / "stream-runner.log").read_text(errors="replace")
    marker = "trending {"
    return [json.loads(line[line.index(marker) + len(marker) - 1:]) for line in log.splitlines() if marker in line]


@pytest.mark.slow
def test_a_burst_is_reported_invalidated_and_the_totals_fall_back_to_the_honest_figures(stack, tmp_path):
    rng = random.Random(12)
    burst = [(f"bot{i}@mailbox.example", rng.choice(COUNTRIES), SCRIPT_ADDRESS) for i in range(BURST)]
    honest = [(f"person{i}@site{i % 50}.example", rng.choice(COUNTRIES), f"198.51.{i // 250}.{i % 250 + 1}")
              for i in range(HONEST)]
    everyone = burst + honest
    rng.shuffle(everyone)
    honest_counts = dict(Counter(country for _, country, _ in honest))
    all_counts = dict(Counter(country for _, country, _ in everyone))

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda s: post(stack.base_url, *s), everyone))
    posted = time.monotonic() - started
    assert set(statuses) == {303}
    wait_for_totals(stack.base_url, all_counts, timeout=120)

    # The detector reported the address (as its keyed hash), and not an honest one.
    script_hash = identity.ip_hash(SCRIPT_ADDRESS, signature_secret(stack.state_dir).encode())
    deadline = time.monotonic() + 10
    while not any(r["key"] == script_hash for r in trending_reports(stack)):
        assert time.monotonic() < deadline, "the burst was never reported"
        time.sleep(0.2)
    reported_ips = {r["key"] for r in trending_reports(stack) if r["kind"] == "ip"}
    assert reported_ips == {script_hash}
    assert "mailbox.example" in {r["key"] for r in trending_reports(stack) if r["kind"] == "domain"}

    preview = run_tool(stack, "demo", "--ip", SCRIPT_ADDRESS, "--dry-run")
    assert preview["matching"] == BURST
    assert totals(stack.base_url)["by_country"] == all_counts  # a preview changes nothing

    checkpoint = str(tmp_path / "run.json")
    applied = run_tool(stack, "demo", "--ip-hash", script_hash, "--rate", "2000", "--checkpoint", checkpoint)
    assert (applied["changed"], applied["skipped"]) == (BURST, 0)
    wait_for_totals(stack.base_url, honest_counts, timeout=60)
    assert totals(stack.base_url)["total"] == HONEST

    again = run_tool(stack, "demo", "--ip", SCRIPT_ADDRESS, "--checkpoint", checkpoint)
    assert again["matching"] == 0 and "changed" not in again  # nothing left to change
    assert totals(stack.base_url)["by_country"] == honest_counts

    restored = run_tool(stack, "--revalidate", "demo", "--ip", SCRIPT_ADDRESS, "--rate", "2000",
                        "--checkpoint", checkpoint)
    assert restored["changed"] == BURST
    wait_for_totals(stack.base_url, all_counts, timeout=60)

    reconcile = subprocess.run([sys.executable, "-m", "tools.reconcile", "--quiet-seconds", "0"], cwd=ROOT,
                               env=stack.env, capture_output=True, text=True, timeout=120)
    assert reconcile.returncode == 0 and "no drift" in reconcile.stdout, reconcile.stdout + reconcile.stderr
    assert stored_by_country(stack) == all_counts
    print(f"{BURST + HONEST} posts in {posted:.1f}s; whole scenario {time.monotonic() - started:.1f}s")
