"""Test helpers: stream records in Lambda's DynamoDB event shape."""
from __future__ import annotations

from chalicelib.aws import clients, config
from tools.lambda_events import lambda_event, lambda_record
from tools.stream_settings import stream_settings

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/test-signatures/stream/2026-11-27T00:00:00.000"


def image(petition="p1", country="GB", status="confirmed", key=None):
    key = key or f"{petition}#k"
    return {"signature_key": {"S": key}, "petition_id": {"S": petition},
            "country": {"S": country}, "status": {"S": status}, "name": {"S": "Ann"}}


def record(sequence: int, old=None, new=None, key="p1#k"):
    name = "MODIFY" if old and new else ("INSERT" if new else "REMOVE")
    dynamodb = {"Keys": {"signature_key": {"S": key}}, "SequenceNumber": str(sequence),
                "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES", "ApproximateCreationDateTime": 1764201600}
    if old is not None:
        dynamodb["OldImage"] = old
    if new is not None:
        dynamodb["NewImage"] = new
    return {"eventID": f"e{sequence}", "eventName": name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "eventSourceARN": STREAM_ARN, "dynamodb": dynamodb}


def event(records, shard="shardId-00000001764201600000-aaaaaaaa"):
    """Lambda's DynamoDB event with the deployment's settings (its tumbling window names the shard)."""
    return lambda_event(list(records), shard, STREAM_ARN, stream_settings(), now=1764201600)


def read_moto_stream() -> list[tuple[str, list[dict]]]:
    """Every shard's records from moto's stream of the signatures table, as Lambda records."""
    s = config.settings()
    arn = clients.dynamodb().describe_table(TableName=s.signatures_table)["Table"]["LatestStreamArn"]
    streams = clients.dynamodb_streams()
    shards = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = []
        while iterator:
            reply = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += reply["Records"]
            if not reply["Records"]:
                break
            iterator = reply.get("NextShardIterator")
        shards.append((shard["ShardId"], [lambda_record(r, arn) for r in records]))
    return shards
