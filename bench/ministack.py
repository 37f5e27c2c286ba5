"""A minimal local stack for the freshness benchmark, used when tools/ has no LocalStack.

DynamoDB Local, the bench tables and a petition, ``chalice local`` serving the
app over HTTP, and a thread that polls the signatures table's stream the way
Lambda's event source mapping does (every POLL_SECONDS, gathering records for
up to BATCH_WINDOW_SECONDS or BATCH_SIZE) and calls the deployed handler.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from chalicelib import config

from . import engine

ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.25  # Lambda polls each shard about four times a second
try:
    from tools.stream_settings import stream_settings

    _settings = stream_settings()
    BATCH_SIZE, BATCH_WINDOW_SECONDS = _settings["BatchSize"], _settings["MaximumBatchingWindowInSeconds"]
except ImportError:
    BATCH_SIZE, BATCH_WINDOW_SECONDS = 1000, 1


class StreamPoller(threading.Thread):
    def __init__(self, handler):
        super().__init__(daemon=True)
        self.handler = handler
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the benchmark, which then fails
            self.error = exc

    def _run(self) -> None:
        s = config.settings()
        ddb = boto3.client("dynamodb", region_name=s.region, endpoint_url=s.dynamodb_endpoint)
        streams = boto3.client("dynamodbstreams", region_name=s.region, endpoint_url=s.dynamodb_endpoint)
        arn = ddb.describe_table(TableName=s.signatures_table)["Table"]["LatestStreamArn"]
        iterators, pending, last = {}, {}, {}  # shard -> iterator, (first seen, records), last sequence read
        discovered = 0.0
        while not self.stopping.is_set():
            now = time.monotonic()
            if now - discovered > 5:
                for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                    if shard["ShardId"] not in iterators:
                        iterators[shard["ShardId"]] = streams.get_shard_iterator(
                            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                discovered = now
            for shard, iterator in list(iterators.items()):
                if iterator is None:
                    continue
                try:
                    reply = streams.get_records(ShardIterator=iterator, Limit=BATCH_SIZE)
                except ClientError as exc:
                    if exc.response["Error"]["Code"] not in ("TrimmedDataAccessException", "ExpiredIteratorException"):
                        raise
                    # DynamoDB Local answers so for an iterator made while its shard was empty: start again
                    # after the last record read.
                    position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last[shard]}
                                if shard in last else {"ShardIteratorType": "TRIM_HORIZON"})
                    iterators[shard] = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                                                  **position)["ShardIterator"]
                    continue
                iterators[shard] = reply.get("NextShardIterator")
                if reply["Records"]:
                    last[shard] = reply["Records"][-1]["dynamodb"]["SequenceNumber"]
                    first, records = pending.get(shard, (now, []))
                    records += [self._lambda_record(r, arn) for r in reply["Records"]]
                    pending[shard] = (first, records)
                first, records = pending.get(shard, (now, []))
                if records and (len(records) >= BATCH_SIZE or now - first >= BATCH_WINDOW_SECONDS):
                    from .population import event

                    reply = self.handler({**event(records[:BATCH_SIZE], shard), "eventSourceARN": arn})
                    if reply.get("batchItemFailures"):
                        raise RuntimeError(f"the handler reported failures: {reply['batchItemFailures']}")
                    rest = records[BATCH_SIZE:]
                    pending[shard] = (now, rest) if rest else (now, [])
                    if not rest:
                        del pending[shard]
            self.stopping.wait(POLL_SECONDS)

    @staticmethod
    def _lambda_record(record: dict, arn: str) -> dict:
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        dynamodb["ApproximateCreationDateTime"] = created.timestamp() if hasattr(created, "timestamp") else created
        return {**record, "eventSourceARN": arn, "dynamodb": dynamodb}


class MiniStack:
    """``with MiniStack() as stack``: ``stack.base_url`` serves the app; ``stack.petition_id`` is open."""

    def __init__(self):
        self._database = None
        self.api = None
        self.poller = None
        self.petition_id = None

    def __enter__(self) -> "MiniStack":
        self._database = engine.dynamodb_local()
        endpoint = self._database.__enter__()
        try:
            self.petition_id = engine.new_petition("fresh")
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            env = {**os.environ, "PYTHONUNBUFFERED": "1", "DYNAMODB_ENDPOINT": endpoint}
            self.api = subprocess.Popen(
                [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())", "local",
                 "--host", "127.0.0.1", "--port", str(self.port), "--stage", "bench", "--no-autoreload"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._wait_for_api()
            from app import on_signature_change

            self.poller = StreamPoller(lambda e: on_signature_change(e, None))
            self.poller.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_for_api(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.base_url}/petitions/{self.petition_id}", timeout=2).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if self.api.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the API server did not start")
                time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        if self.poller:
            self.poller.stopping.set()
            self.poller.join(10)
        if self.api and self.api.poll() is None:
            self.api.terminate()
            try:
                self.api.wait(10)
            except subprocess.TimeoutExpired:
                self.api.kill()
                self.api.wait()
        if self._database:
            self._database.__exit__(None, None, None)
