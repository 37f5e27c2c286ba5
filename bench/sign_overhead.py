"""4. Sign request overhead: a full sign request through the Chalice app in process.

Baseline: a bare boto3 PutItem of the same item (same size, same condition),
against the same DynamoDB Local, interleaved request by request.
"""
from __future__ import annotations

from datetime import UTC, datetime

import boto3

from bench.measure import clock, median, percentile
from bench.population import Population, signer
from bench.report import Section, ratio
from bench.sign_cost import sign
from chalicelib.aws import config
from chalicelib.signing import signature_store, submission


def bare_client():
    s = config.settings()
    return boto3.client("dynamodb", region_name=s.region, endpoint_url=s.dynamodb_endpoint)


def run(http, new_petition, n: int = 300, warmup: int = 30) -> Section:
    section = Section(4, "Sign request overhead")
    petition_id = new_petition("overhead")
    client, table = bare_client(), config.settings().signatures_table
    drawn = next(Population(n + warmup, seed=4).countries(batch=n + warmup))
    bodies = [signer(i, country, "overhead") for i, country in enumerate(drawn)]
    now = datetime.now(UTC)
    items = []
    for body in bodies:  # the very item the sign request stores, under another key
        sig, _ = submission.validate(body)
        item = signature_store.build(petition_id, sig, now).serialize()
        item["signature_key"] = {"S": item["signature_key"]["S"].replace("#", "#bare-", 1)}
        items.append(item)

    app_times, bare_times = [], []
    for i, (body, item) in enumerate(zip(bodies, items, strict=False)):
        def request(body=body):
            start = clock()
            response = sign(http, petition_id, body)
            elapsed = clock() - start
            if response.status_code != 202:
                raise RuntimeError(f"sign answered {response.status_code}")
            return elapsed

        def put(item=item):
            start = clock()
            client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(signature_key)")
            return clock() - start

        first, second = (request, put) if i % 2 == 0 else (put, request)
        a, b = first(), second()
        if i < warmup:
            continue
        app_t, bare_t = (a, b) if first is request else (b, a)
        app_times.append(app_t)
        bare_times.append(bare_t)

    app_ms, bare_ms = median(app_times) * 1000, median(bare_times) * 1000
    section.row("Sign request in process (Chalice app, DynamoDB Local): median",
                f"{app_ms:.2f} ms", f"{bare_ms:.2f} ms (bare boto3 PutItem)", ratio(app_ms, bare_ms))
    section.notes += [
        f"- {n} requests each after {warmup} warm-up pairs, interleaved and alternating which goes first. "
        f"p95: {percentile(app_times, 95) * 1000:.2f} ms against {percentile(bare_times, 95) * 1000:.2f} ms. "
        f"The app's own work (parsing, validation, hashing, building the item, PynamoDB) adds a median "
        f"{app_ms - bare_ms:.2f} ms to the one PutItem both make.",
    ]
    section.headline = (f"Sign request in process: median {app_ms:.2f} ms, {app_ms / bare_ms:.2f}× a bare "
                        f"boto3 PutItem of the same item ({bare_ms:.2f} ms) on DynamoDB Local.")
    section.data = {"app_ms": app_ms, "bare_ms": bare_ms}
    return section
