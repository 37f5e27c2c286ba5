"""The whole collector on DynamoDB Local: HTTP in, stream runner and the real handler, totals out."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.stack import acknowledged, sign, stored_by_country, totals, wait_for_totals
from tools.ddblocal import free_port, port_in_use
from tools.devstack import ROOT, DevStack

pytestmark = pytest.mark.integration

COUNTRIES = ["GB", "FR", "DE", "KE", "BR", "IN", "US", "SY"]


def test_a_signature_shows_in_the_totals_within_two_seconds(stack):
    latencies = []
    for i, (form, country) in enumerate([(True, "GB"), (False, "FR"), (True, "GB")]):
        before = totals(stack.base_url)["total"]
        response = sign(stack.base_url, f"Signer {i}", f"signer{i}@example.org", country, form=form)
        assert acknowledged(response), response.text
        sent = time.monotonic()
        while totals(stack.base_url)["total"] != before + 1:
            assert time.monotonic() - sent < 2.0, "the signature did not reach the totals within 2 seconds"
            time.sleep(0.05)
        latencies.append(time.monotonic() - sent)
    assert totals(stack.base_url)["by_country"] == {"GB": 2, "FR": 1}
    print(f"signature to totals: {', '.join(f'{s:.2f}s' for s in latencies)}")


def other_case(email: str) -> str:
    local, domain = email.split("@")
    return local.swapcase() + "@" + domain.upper()


@pytest.mark.slow
def test_2000_signatures_from_8_clients_with_duplicates_give_exact_totals(stack):
    rng = random.Random(4)
    people = [(f"Person {i}", f"person.{i}@example.org", rng.choice(COUNTRIES)) for i in range(1600)]
    # 400 second attempts by the same people, in other letter case: duplicates, never counted twice
    again = [(name, other_case(email), country) for name, email, country in rng.sample(people, 400)]
    submissions = people + again
    rng.shuffle(submissions)
    expected: dict[str, int] = {}
    for _, _, country in people:
        expected[country] = expected.get(country, 0) + 1

    def submit(numbered):
        i, (name, email, country) = numbered
        return sign(stack.base_url, name, email, country, form=i % 2 == 0).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(submit, enumerate(submissions)))
    posted = time.monotonic() - started
    assert all(status in (202, 303) for status in statuses), sorted(set(statuses))

    wait_for_totals(stack.base_url, expected, timeout=60)
    converged = time.monotonic() - started
    assert stored_by_country(stack) == expected
    assert totals(stack.base_url)["total"] == 1600
    print(f"2000 posts from 8 clients in {posted:.1f}s; totals exact after {converged:.1f}s")


def write_signatures(stack: DevStack, count: int, petition: str = "demo") -> dict[str, int]:
    """Store signatures straight into the table (faster than HTTP); return the expected counts."""
    client = stack.client()
    expected: dict[str, int] = {}
    items = []
    for i in range(count):
        country = COUNTRIES[i % len(COUNTRIES)]
        expected[country] = expected.get(country, 0) + 1
        items.append({"PutRequest": {"Item": {
            "signature_key": {"S": f"{petition}#direct-{i:06d}"}, "petition_id": {"S": petition},
            "name": {"S": f"Direct {i}"}, "email": {"S": f"direct{i}@example.org"},
            "country": {"S": country}, "status": {"S": "confirmed"},
            "consent_at": {"S": "2026-01-01T00:00:00Z"}, "created_at": {"S": "2026-01-01T00:00:00Z"},
        }}})
    for start in range(0, len(items), 25):
        pending = {stack.tables["SIGNATURES_TABLE"]: items[start:start + 25]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None
    return expected


@pytest.mark.slow
def test_killing_the_runner_mid_stream_and_restarting_it_gives_exact_totals(stack):
    stack.stop_runner()
    expected = write_signatures(stack, 3000)

    kills = 0
    for _ in range(2):  # kill it twice while it is working through the backlog
        stack.start_runner()
        deadline = time.monotonic() + 30
        before = totals(stack.base_url)["total"]
        while totals(stack.base_url)["total"] == before and time.monotonic() < deadline:
            time.sleep(0.01)
        stack.stop_runner(kill=True)
        kills += 1
    assert totals(stack.base_url)["total"] < 3000, "the backlog was processed before the runner could be killed"

    stack.start_runner()
    wait_for_totals(stack.base_url, expected, timeout=60)

    # The worst a crash can do: lose every checkpoint. The whole stream is then
    # delivered again, and the totals must not move.
    checkpoints = stack.state_dir / "stream-checkpoints.json"
    stack.stop_runner(kill=True)
    position_seen = checkpoints.read_text()
    checkpoints.unlink()
    stack.start_runner()
    deadline = time.monotonic() + 30
    while not (checkpoints.exists() and checkpoints.read_text() == position_seen):
        assert time.monotonic() < deadline, "the runner did not work through the stream again"
        time.sleep(0.1)
    assert totals(stack.base_url)["by_country"] == expected == stored_by_country(stack)


@pytest.mark.slow
def test_a_crash_of_the_whole_stack_keeps_every_acknowledged_signature(tmp_path):
    """SIGKILL to every process while clients are signing; then start again on the same data."""
    stack = DevStack(tmp_path).start()
    acked: list[str] = []
    stop = threading.Event()

    def client(worker: int):
        for i in range(10_000):
            if stop.is_set():
                return
            email = f"crash.{worker}.{i}@example.org"
            try:
                response = sign(stack.base_url, "Crash Test", email, COUNTRIES[i % len(COUNTRIES)])
            except Exception:
                return  # the server died mid-request: this one was never acknowledged
            if acknowledged(response):
                acked.append(email)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    while len(acked) < 120:
        time.sleep(0.01)
    stack.kill()
    stop.set()
    for t in threads:
        t.join()

    again = DevStack(tmp_path).start()
    try:
        from chalicelib.identity.canonical_email import signature_key
        from tools.devstack import signature_secret

        secret = signature_secret(tmp_path).encode()
        client = again.client()
        for email in acked:
            key = signature_key("demo", email, secret)
            item = client.get_item(TableName=again.tables["SIGNATURES_TABLE"], ConsistentRead=True,
                                   Key={"signature_key": {"S": key}}).get("Item")
            assert item is not None, "an acknowledged signature was lost"
        stored = stored_by_country(again)
        assert sum(stored.values()) >= len(acked)
        wait_for_totals(again.base_url, stored, timeout=30)
        print(f"{len(acked)} acknowledged before the crash, {sum(stored.values())} stored, totals exact")
    finally:
        again.stop()


def test_make_run_refuses_a_second_instance_and_ctrl_c_stops_everything_it_started(tmp_path):
    port = free_port()
    env = {**os.environ, "PORT": str(port)}
    env.pop("DYNAMODB_ENDPOINT", None)
    command = [sys.executable, "-m", "tools.devstack", "run", "--state-dir", str(tmp_path)]
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, start_new_session=True)  # its own group, as a terminal gives it
    lines = []
    try:
        for line in first.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        endpoint = next(line.split()[2] for line in lines if "DynamoDB endpoint:" in line)
        database_port = int(endpoint.rsplit(":", 1)[1])
        assert port_in_use(port) and port_in_use(database_port)

        second = subprocess.run(command, cwd=ROOT, env={**env, "PORT": str(free_port())},
                                capture_output=True, text=True, timeout=60)
        assert second.returncode != 0
        assert f"Countersign is already running (pid {first.pid})" in second.stderr

        os.killpg(first.pid, signal.SIGINT)  # what Ctrl-C in its terminal does
        assert first.wait(30) == 0
        assert not port_in_use(port) and not port_in_use(database_port)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        first.stdout.close()
