"""A minimal DynamoDB Local launcher, used when tools/ has none.

AWS ships DynamoDB Local in the npm package amplify-dynamodb-simulator
(folder ``emulator/``); ``npm pack`` fetches it without its dependencies and
the tarball is checked against a pinned sha256 before anything in it runs.
"""
from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench-ddblocal"
PACKAGE, VERSION = "amplify-dynamodb-simulator", "2.9.30"  # DynamoDB Local 1.25.1
SHA256 = "3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9"


def emulator() -> Path:
    target = CACHE / "emulator"
    if (target / "DynamoDBLocal.jar").is_file():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / f"{PACKAGE}-{VERSION}.tgz"
    if not tarball.is_file():
        subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", str(CACHE)],
                       check=True, stdout=subprocess.DEVNULL)
    if hashlib.sha256(tarball.read_bytes()).hexdigest() != SHA256:
        tarball.unlink()
        raise SystemExit(f"{tarball.name} does not match the pinned sha256; deleted it, run again")
    with tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("package/emulator/")]
        archive.extractall(CACHE / "partial", members=members, filter="data")
    shutil.rmtree(target, ignore_errors=True)
    (CACHE / "partial" / "package" / "emulator").rename(target)
    shutil.rmtree(CACHE / "partial")
    return target


class DynamoDBLocal:
    """An in-memory DynamoDB Local on a free port, for the length of a ``with`` block."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "DynamoDBLocal":
        folder = emulator()
        self.process = subprocess.Popen(
            ["java", f"-Djava.library.path={folder / 'DynamoDBLocal_lib'}", "-jar", str(folder / "DynamoDBLocal.jar"),
             "-port", str(self.port), "-inMemory", "-sharedDb", "-disableTelemetry"],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("DynamoDB Local did not start")
            time.sleep(0.2)

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
