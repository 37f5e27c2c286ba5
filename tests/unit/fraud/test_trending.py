"""Trending detection in the tally: per-batch and rolling-window thresholds, one report per key per window."""
import json
import logging

import pytest

from chalicelib.aws import config
from chalicelib.fraud import trending


def insert(ip="h1", email="a@example.org", country="GB", petition="demo", event="INSERT"):
    image = {"petition_id": {"S": petition}, "email": {"S": email}, "country": {"S": country},
             "status": {"S": "confirmed"}}
    if ip:
        image["ip_hash"] = {"S": ip}
    return {"eventName": event, "dynamodb": {"NewImage": image, "SequenceNumber": "1"}}


@pytest.fixture(autouse=True)
def thresholds(monkeypatch):
    for name, value in {"TRENDING_BATCH_IP": "5", "TRENDING_BATCH_DOMAIN": "8", "TRENDING_BATCH_COUNTRY": "0",
                        "TRENDING_WINDOW_IP": "12", "TRENDING_WINDOW_DOMAIN": "0", "TRENDING_WINDOW_COUNTRY": "0",
                        "TRENDING_WINDOW_SECONDS": "60"}.items():
        monkeypatch.setenv(name, value)
    config.reset()
    trending.reset()
    yield
    config.reset()
    trending.reset()


def test_keys_of_a_new_signature_and_of_nothing_else():
    assert trending.keys_of(insert(email="X@Mail.Example.org")) == [
        ("demo", "ip", "h1"), ("demo", "domain", "mail.example.org"), ("demo", "country", "GB")]
    assert trending.keys_of(insert(event="MODIFY")) == []
    assert trending.keys_of({"eventName": "INSERT", "dynamodb": {"NewImage": {"signature_key": {"S": "k"}}}}) == []
    assert trending.keys_of(insert(ip=None)) == [("demo", "domain", "example.org"), ("demo", "country", "GB")]


def test_a_key_over_the_batch_threshold_is_reported_once_per_window():
    burst = [insert(ip="bad", email=f"p{i}@x{i}.example") for i in range(5)] + [insert(ip="ok")] * 4
    reports = trending.detect(burst, now=1000)
    assert [(r["kind"], r["key"], r["count"], r["scope"]) for r in reports] == [("ip", "bad", 5, "batch")]
    assert trending.detect(burst, now=1001) == []  # already reported in this window
    assert [r["key"] for r in trending.detect(burst, now=1070)] == ["bad"]  # a new window reports again


def test_a_slow_burst_is_caught_by_the_rolling_window():
    trickle = [insert(ip="slow", email=f"p{i}@x{i}.example") for i in range(4)]  # under the batch threshold
    assert trending.detect(trickle, now=1000) == []
    assert trending.detect(trickle, now=1015) == []
    [report] = trending.detect(trickle, now=1030)
    assert (report["key"], report["count"], report["scope"]) == ("slow", 12, "window")
    trending.reset()
    for at in (1000, 1080, 1160):  # the same trickle, slower than the window: never 12 within 60 s
        assert trending.detect(trickle, now=at) == []


def test_domains_and_per_petition_counts():
    same_domain = [insert(ip=f"h{i}", email=f"p{i}@bulk.example") for i in range(8)]
    [report] = trending.detect(same_domain, now=1000)
    assert (report["kind"], report["key"]) == ("domain", "bulk.example")
    split = [insert(ip="h", petition=p, email=f"{p}{i}@y{i}.example") for p in ("a", "b") for i in range(3)]
    assert trending.detect(split, now=2000) == []  # 3 + 3 on two petitions: neither reaches 5


def test_observe_logs_a_structured_line_and_an_emf_metric(caplog, capsys):
    caplog.set_level(logging.WARNING, logger="chalicelib")
    trending.observe([insert(ip="bad", email=f"p{i}@x{i}.example") for i in range(5)], now=1000)
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("trending ")]
    assert json.loads(line.removeprefix("trending "))["key"] == "bad"
    emf = json.loads(capsys.readouterr().out.strip())
    assert emf[trending.METRIC] == 1 and emf["kind"] == "ip" and emf["petition_id"] == "demo"
    assert emf["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] == trending.METRIC
    assert "p0@" not in line and "p0@" not in json.dumps(emf)  # no address in the log or the metric


def test_a_detector_failure_never_reaches_the_tally(monkeypatch):
    monkeypatch.setattr(trending, "detect", lambda *a: 1 / 0)
    assert trending.observe([insert()]) == []


def test_the_tally_reports_trending_keys_from_its_batch(tables, capsys):
    from chalicelib.tally import stream_tally

    records = [{**insert(ip="bad", email=f"p{i}@x{i}.example"), "eventID": str(i),
                "dynamodb": {**insert(ip="bad", email=f"p{i}@x{i}.example")["dynamodb"],
                             "SequenceNumber": str(100 + i)}} for i in range(5)]
    assert stream_tally.handle({"shardId": "shard-1", "Records": records}) == {"batchItemFailures": []}
    assert '"TrendingKeys": 1' in capsys.readouterr().out
