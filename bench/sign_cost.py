"""1. Sign path cost: DynamoDB requests and write units per accepted signature.

Baseline: the naive design that writes the signature and increments a counter
in the same request (two writes), run through the same handler.
"""
from __future__ import annotations

import json
from contextlib import contextmanager

from bench.measure import item_size, median, write_units
from bench.population import Population, signer
from bench.report import Section, count, ratio
from chalicelib.aws import clients, config
from chalicelib.signing import signature_store
from chalicelib.tally import totals
from tools.request_meter import Meter


def sign(http, petition_id: str, body: dict):
    return http.post(f"/petitions/{petition_id}/signatures", body=json.dumps(body),
                     headers={"content-type": "application/json"})


@contextmanager
def naive_store():
    """Swap in the naive store: the signature, then a counter increment in the same request."""
    real = signature_store.store

    def store(signature):
        new = real(signature)
        if new:
            clients.dynamodb().update_item(
                TableName=config.settings().totals_table, Key=totals.key(signature.petition_id),
                UpdateExpression="ADD #c :one",
                ExpressionAttributeNames={"#c": totals.country_attribute(signature.country)},
                ExpressionAttributeValues=totals.typed({":one": 1}))
        return new

    signature_store.store = store
    try:
        yield
    finally:
        signature_store.store = real


def _sign_many(http, petition_id: str, bodies: list[dict]) -> list[Meter]:
    meters = []
    for body in bodies:
        meter = Meter()
        with meter.active():
            response = sign(http, petition_id, body)
        if response.status_code != 202:
            raise RuntimeError(f"sign answered {response.status_code}: {response.body[:200]!r}")
        meters.append(meter)
    return meters


def _summary(meters: list[Meter]) -> dict:
    per_request = [m.requests for m in meters]
    engine_units = [m.capacity() for m in meters]
    computed = []
    for m in meters:
        units = 0
        for op, _, _, params in m.detailed:
            if op == "PutItem":
                units += write_units(item_size(params["Item"]))
        computed.append(units)
    return {
        "requests": sum(per_request), "median_requests": median(per_request), "max_requests": max(per_request),
        "writes": sum(m.writes for m in meters), "reads": sum(m.count("GetItem") for m in meters),
        "units": sum(engine_units), "unreported": sum(m.unreported() for m in meters),
        "put_units_computed": sum(computed), "n": len(meters),
        "item_bytes": median([item_size(p["Item"]) for m in meters for op, _, _, p in m.detailed if op == "PutItem"]
                             or [0]),
    }


def run(http, new_petition, n: int = 200, duplicates: int = 50) -> Section:
    section = Section(1, "Sign path cost")
    ours_id, naive_id = new_petition("sign"), new_petition("naive")
    countries = next(Population(2 * n + 2, seed=11).countries(batch=2 * n + 2))
    # First request per petition: the petition is read into the container's cache.
    sign(http, ours_id, signer(0, countries[0], "warm"))
    with naive_store():
        sign(http, naive_id, signer(0, countries[1], "warm"))

    bodies = [signer(i, countries[2 + i], "ours") for i in range(n)]
    ours = _summary(_sign_many(http, ours_id, bodies))
    with naive_store():
        naive = _summary(_sign_many(http, naive_id, [signer(i, countries[2 + n + i], "naive") for i in range(n)]))
    dupes = _summary(_sign_many(http, ours_id, bodies[:duplicates]))

    reported = ours["unreported"] == 0 and naive["unreported"] == 0
    ours_units = ours["units"] if reported else ours["put_units_computed"]
    naive_units = naive["units"] if reported else None
    section.row("Sign: DynamoDB requests per accepted signature",
                f"{ours['requests'] / n:g} ({ours['writes']} writes and {ours['reads']} petition reads "
                f"in {n} requests)",
                f"{count(naive['requests'] / n)} (write + counter)", ratio(ours["requests"], naive["requests"]))
    section.row("Sign: write units per accepted signature",
                count(ours_units / n),
                count(naive_units / n) if naive_units is not None else "n/a",
                ratio(ours_units, naive_units) if naive_units else "")
    section.row("Sign: requests / write units per duplicate signature",
                f"{count(dupes['requests'] / duplicates)} / {count(dupes['put_units_computed'] / duplicates)}",
                "same (the conditional write fails)", "")
    source = "reported by the engine (ReturnConsumedCapacity=TOTAL)" if reported else \
        "computed from item sizes (1 per started KB; this engine reports no capacity)"
    section.notes += [
        f"- {n} accepted signatures through the Chalice app in process, after one warm-up request that read "
        f"the petition into the container's cache; every botocore request counted. "
        f"Ours: {ours['writes']} writes and {ours['reads']} reads in {n} requests. "
        f"Naive: {naive['writes']} writes and {naive['reads']} reads.",
        f"- Write units {source}. Median signature item {ours['item_bytes']:.0f} bytes "
        f"(limit for one unit: {signature_store.WRITE_UNIT_BYTES}).",
        "- A petition is read once per container per cache period (PETITION_CACHE_SECONDS, 10 s as deployed): "
        "one GetItem, 0.5 read units, shared by every signature in that period; any such read during the "
        "run is in the counts above.",
        f"- {duplicates} duplicates (same people again): {dupes['requests']} requests. A failed conditional write "
        f"still costs its write units; the engine does not report them, so they are computed from the item size.",
    ]
    section.headline = (f"Sign path: {count(ours['writes'] / n)} DynamoDB write of {count(ours_units / n)} write "
                        f"unit per accepted signature, plus one petition read per container per 10 s "
                        f"(naive counter-in-request: {count(naive['writes'] / n)} writes, "
                        f"{count((naive_units or 0) / n)} units).")
    section.data = {"requests_per_signature": ours["requests"] / n, "units_per_signature": ours_units / n,
                    "naive_requests_per_signature": naive["requests"] / n,
                    "naive_units_per_signature": (naive_units or 2 * ours_units) / n}
    return section
