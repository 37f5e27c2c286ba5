"""A DynamoDB Streams stand-in for the local stream runner's tests."""
from __future__ import annotations

from datetime import UTC, datetime

from botocore.exceptions import ClientError

ARN = "arn:aws:dynamodb:ddblocal:000000000000:table/sigs/stream/2026-01-01T00:00:00.000"


def raw_record(sequence: int, petition="demo", country="GB", created=None, event="INSERT") -> dict:
    """A GetRecords record as boto3 returns it (the creation time as a datetime)."""
    key = f"{petition}#{sequence:04d}"
    return {
        "eventID": f"event-{sequence}",
        "eventName": event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ddblocal",
        "dynamodb": {
            "ApproximateCreationDateTime": created or datetime.now(UTC).replace(microsecond=0),
            "Keys": {"signature_key": {"S": key}},
            "NewImage": {"signature_key": {"S": key}, "petition_id": {"S": petition},
                         "country": {"S": country}, "status": {"S": "confirmed"}},
            "SequenceNumber": str(sequence).zfill(21),
            "SizeBytes": 80,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "Op")


class FakeStreams:
    """Shards with fixed records; closed shards end, open ones wait for more."""

    def __init__(self, shards: dict[str, dict]):
        self.shards = shards  # id -> {"parent": id|None, "records": [...], "closed": bool}
        self.iterator_requests: list[tuple] = []
        self.expire_next = False

    def describe_stream(self, StreamArn, ExclusiveStartShardId=None):
        shards = []
        for shard_id, shard in self.shards.items():
            entry = {"ShardId": shard_id, "SequenceNumberRange": {"StartingSequenceNumber": "0"}}
            if shard.get("parent"):
                entry["ParentShardId"] = shard["parent"]
            if shard.get("closed"):
                entry["SequenceNumberRange"]["EndingSequenceNumber"] = "9" * 21
            shards.append(entry)
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": shards}}

    def get_shard_iterator(self, StreamArn, ShardId, ShardIteratorType, SequenceNumber=None):
        self.iterator_requests.append((ShardId, ShardIteratorType, SequenceNumber))
        records = self.shards[ShardId]["records"]
        if ShardIteratorType == "AFTER_SEQUENCE_NUMBER":
            position = next(i + 1 for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] == SequenceNumber)
        elif ShardIteratorType == "LATEST":
            position = len(records)
        else:
            position = 0
        return {"ShardIterator": f"{ShardId}|{position}"}

    def get_records(self, ShardIterator, Limit):
        if self.expire_next:
            self.expire_next = False
            raise client_error("ExpiredIteratorException")
        shard_id, position = ShardIterator.split("|")
        shard, position = self.shards[shard_id], int(position)
        records = shard["records"][position:position + Limit]
        end = position + len(records)
        done = shard.get("closed") and end >= len(shard["records"])
        return {"Records": records, "NextShardIterator": None if done else f"{shard_id}|{end}"}


class FakeTable:
    def describe_table(self, TableName):
        return {"Table": {"TableName": TableName, "LatestStreamArn": ARN}}
