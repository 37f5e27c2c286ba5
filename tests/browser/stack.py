"""A small local stack for the browser tests: DynamoDB Local, the app over HTTP, the stream tally.

Interim: the project's reusable local stack replaces this when it lands; the
browser fixture only needs ``url``, ``endpoint`` and the context manager.

The parent process starts DynamoDB Local (java) and one child Python process
(``python -m tests.browser.stack serve``) that creates the tables, seeds the
demo petition, serves the app with Chalice's local server and runs the stream
tally over the signatures table's stream, as Lambda would. The child keeps the
app's environment (endpoint, table names, secret) out of the test process,
whose unit tests run against moto.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR = "amplify-dynamodb-simulator@2.9.30"  # ships DynamoDB Local 1.25.1 in emulator/
CACHE = ROOT / ".local" / "dynamodb-local"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s")


def dynamodb_local_dir() -> Path:
    """The folder holding DynamoDBLocal.jar, unpacked from the npm package once."""
    if os.environ.get("DYNAMODB_LOCAL_DIR"):
        return Path(os.environ["DYNAMODB_LOCAL_DIR"])
    jar_dir = CACHE / "package" / "emulator"
    if (jar_dir / "DynamoDBLocal.jar").is_file():
        return jar_dir
    if not shutil.which("npm"):
        raise RuntimeError("npm is needed once to fetch DynamoDB Local (or set DYNAMODB_LOCAL_DIR)")
    CACHE.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["npm", "pack", SIMULATOR, "--silent"], cwd=CACHE, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(CACHE / out) as archive:
        archive.extractall(CACHE, members=[m for m in archive.getmembers() if "/emulator/" in m.name],
                           filter="data")
    (CACHE / out).unlink()
    return jar_dir


def app_environment(endpoint: str) -> dict:
    return {
        **os.environ,
        "DYNAMODB_ENDPOINT": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "SIGNATURE_KEY_SECRET": "browser-test-secret",
        "SIGNATURES_TABLE": "browser-signatures",
        "PETITIONS_TABLE": "browser-petitions",
        "TOTALS_TABLE": LocalStack.totals_table,
        "PETITION_CACHE_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
    }


class LocalStack:
    """``with LocalStack() as stack:`` gives ``stack.url`` (the app) and ``stack.endpoint`` (DynamoDB)."""

    totals_table = "browser-totals"

    def __init__(self):
        self.url = self.endpoint = ""
        self._processes: list[subprocess.Popen] = []
        self._data = None

    def __enter__(self) -> "LocalStack":
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        jar_dir = dynamodb_local_dir()
        db_port, app_port = free_port(), free_port()
        self._data = tempfile.TemporaryDirectory(prefix="countersign-ddb-")
        self._processes.append(subprocess.Popen(
            ["java", f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}", "-jar", str(jar_dir / "DynamoDBLocal.jar"),
             "-port", str(db_port), "-dbPath", self._data.name, "-disableTelemetry"],
            cwd=jar_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.endpoint = f"http://127.0.0.1:{db_port}"
        wait_for(lambda: socket.create_connection(("127.0.0.1", db_port), 1).close() is None, "DynamoDB Local")
        self.log = Path(self._data.name) / "app.log"
        with self.log.open("wb") as log:
            self._processes.append(subprocess.Popen(
                [sys.executable, "-m", "tests.browser.stack", "serve", str(app_port)],
                cwd=ROOT, env=app_environment(self.endpoint), stdout=log, stderr=subprocess.STDOUT))
        self.url = f"http://127.0.0.1:{app_port}"
        try:
            wait_for(lambda: urllib.request.urlopen(self.url + "/petitions/demo", timeout=2).status == 200, "the app")
        except RuntimeError:
            print(self.log.read_text(errors="replace")[-4000:], file=sys.stderr)
            raise

    def dynamodb(self):
        import boto3
        return boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")

    def __exit__(self, *exc) -> None:
        for process in reversed(self._processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self._processes.clear()
        if self._data:
            self._data.cleanup()


# ---- the child: tables, demo petition, stream tally, HTTP ---------------------

def run_stream_tally(stop: threading.Event, interval: float = 0.3) -> None:
    """Feed the signatures stream to the tally in Lambda's event shape, one shard at a time."""
    import boto3

    from chalicelib import config, stream_tally

    s = config.settings()
    streams = boto3.client("dynamodbstreams", endpoint_url=s.dynamodb_endpoint, region_name=s.region)
    arn = boto3.client("dynamodb", endpoint_url=s.dynamodb_endpoint, region_name=s.region).describe_table(
        TableName=s.signatures_table)["Table"]["LatestStreamArn"]
    iterators: dict[str, str | None] = {}
    while not stop.is_set():
        try:
            _pass_over_shards(streams, arn, iterators, stream_tally)
        except streams.exceptions.TrimmedDataAccessException:
            # DynamoDB Local says this for an iterator taken before the shard's first
            # record; take it again.
            iterators.clear()
        except Exception as exc:  # keep tallying; a failed batch is retried from its iterator
            print(f"stream tally: {type(exc).__name__}: {exc}", file=sys.stderr)
        stop.wait(interval)


def _pass_over_shards(streams, arn: str, iterators: dict, stream_tally) -> None:
    """One GetRecords per open shard; the tally's marks make any replay a no-op."""
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        if shard["ShardId"] not in iterators:
            iterators[shard["ShardId"]] = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    for shard_id, iterator in list(iterators.items()):
        if iterator is None:  # a closed shard, read to its end
            continue
        reply = streams.get_records(ShardIterator=iterator, Limit=100)
        if reply["Records"]:
            records = []
            for record in reply["Records"]:
                when = record["dynamodb"].get("ApproximateCreationDateTime")
                if hasattr(when, "timestamp"):  # boto3 parses it; Lambda sends epoch seconds
                    record["dynamodb"]["ApproximateCreationDateTime"] = when.timestamp()
                records.append({**record, "eventSourceARN": arn})
            stream_tally.handle({"Records": records, "shardId": shard_id})
        iterators[shard_id] = reply.get("NextShardIterator")


def serve(port: int) -> None:
    from chalice.config import Config
    from chalice.local import create_local_server

    from app import app
    from tools import petition_admin, schema

    schema.create_tables()
    petition_admin.create(**petition_admin.DEMO, if_absent=True)
    stop = threading.Event()
    threading.Thread(target=run_stream_tally, args=(stop,), daemon=True).start()
    server = create_local_server(app, Config.create(chalice_app=app, app_name="countersign"), "127.0.0.1", port)
    try:
        server.serve_forever()
    finally:
        stop.set()


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    serve(int(sys.argv[2]))
