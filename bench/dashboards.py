"""9. Dashboards at campaign scale: 100,000 open for an hour, with and without the CDN.

Counted, not sampled: the polls each dashboard makes in an hour follow from
countersign.js's schedule (every 5 s while the figures change; 10, 20, 40,
then every 60 s while they do not; none while the tab is hidden), and what
each poll costs from the bytes and read units of the app's own /totals answer
for a petition with signatures from every country (measured here, through
the handler, against DynamoDB Local), at the list prices in bench/cost.py.

    python -m bench.dashboards     # this section alone (DynamoDB Local, about 20 s)
"""
from __future__ import annotations

import gzip
import json
import math
import sys

from bench import cost
from bench.measure import clock as timer
from bench.measure import median
from bench.report import Section, count, ratio
from chalicelib.aws import capacity, clock
from chalicelib.i18n import countries
from chalicelib.tally import totals

DASHBOARDS = 100_000
HOUR = 3600
POLL_SECONDS = 5  # data-poll on the dashboard
QUIET_MAX = 60  # countersign.js: the longest wait while nothing changes
MAX_AGE = 5  # TOTALS_CACHE: max-age of a /totals answer
CACHE_BOUND = 1_000  # an upper bound on caches asking the shield, for its price (see notes)


def polls_in(seconds: int, changing: bool) -> int:
    """Polls one visible dashboard makes in ``seconds`` (the schedule countersign.js follows)."""
    t, wait, polls = POLL_SECONDS, POLL_SECONDS, 0
    while t <= seconds:
        polls += 1
        wait = POLL_SECONDS if changing else min(wait * 2, QUIET_MAX)
        t += wait
    return polls


def wire_bytes(response) -> int:
    """What the app sends for one answer: status line, headers and body (API Gateway adds a few headers more)."""
    body = response.body if isinstance(response.body, bytes) else (response.body or "").encode()
    head = 17 + sum(len(k) + len(str(v)) + 4 for k, v in response.headers.items())
    return head + len(body)


def measure(http, new_petition, repeats: int = 200) -> dict:
    """A /totals answer for a petition with every country signed: bytes, compressed bytes, read units, time."""
    from chalicelib.aws import clients, config

    petition_id = new_petition("dashboards")
    every = {code: 1000 + i for i, code in enumerate(sorted(countries.names()))}
    clients.dynamodb().update_item(TableName=config.settings().totals_table,
                               **totals.set_counts_arguments(petition_id, every, clock.stamp()))
    item = clients.dynamodb().get_item(TableName=config.settings().totals_table, Key=totals.key(petition_id))["Item"]
    url = f"/petitions/{petition_id}/totals"
    full = http.get(url)
    etag = full.headers["ETag"]
    same = http.get(url, headers={"If-None-Match": etag})
    assert (full.status_code, same.status_code) == (200, 304)
    times = []
    for i in range(repeats):
        start = timer()
        http.get(url, headers={"If-None-Match": etag} if i % 2 else {})
        times.append(timer() - start)
    signer = {"name": "Dashboard Bench", "email": "bench@example.org", "country": "GB", "consent": True}
    signed = http.post(f"/petitions/{petition_id}/signatures", headers={"content-type": "application/json"},
                       body=json.dumps(signer))
    assert signed.status_code == 202
    return {
        "sign_bytes": wire_bytes(signed),
        "countries": len(every),
        "bytes_200": wire_bytes(full),
        "bytes_304": wire_bytes(same),
        "body_gzip": len(gzip.compress(full.body if isinstance(full.body, bytes) else full.body.encode())),
        "body": len(full.body),
        "item_bytes": capacity.item_size(item),
        "read_units": 0.5 * math.ceil(capacity.item_size(item) / 4096),  # eventually consistent GetItem
        "ms": median(times) * 1000,
    }


def lines(m: dict, polls: int) -> dict[str, dict[str, float]]:
    """The hour's bill for ``polls`` requests, front door by front door."""
    gb = 1024 ** 3
    per_poll_lambda = (cost.LAMBDA_REQUESTS_PER_MILLION / cost.MILLION
                       + cost.lambda_compute(1, m["ms"], cost.SIGN_MEMORY_MB))
    per_poll_read = m["read_units"] * cost.DYNAMODB_RRU_PER_MILLION / cost.MILLION
    raw = polls * m["bytes_200"] / gb
    direct = {
        "Lambda: requests and duration": polls * per_poll_lambda,
        "DynamoDB: reads (a 304 reads too: the ETag is of the figures)": polls * per_poll_read,
        "Data out from the region": raw * cost.REGION_GB_OUT,
    }
    # Through CloudFront: compressed at the edge; the API sees one request per max-age per petition.
    origin = HOUR // MAX_AGE
    compressed = polls * (m["bytes_200"] - m["body"] + m["body_gzip"]) / gb
    return {
        "REST API, no CDN (before)": {"API Gateway REST": polls * cost.API_GATEWAY_REST_PER_MILLION / cost.MILLION,
                                      **direct},
        "HTTP API, no CDN": {"API Gateway HTTP API": polls * cost.API_GATEWAY_HTTP_PER_MILLION / cost.MILLION,
                             **direct},
        "HTTP API behind CloudFront (default)": {
            "CloudFront: HTTPS requests": polls * cost.CLOUDFRONT_HTTPS_PER_10K / 10_000,
            "CloudFront: data out (compressed)": compressed * cost.CLOUDFRONT_GB_OUT,
            "Origin Shield: at most one request per cache per max-age (bound)":
                CACHE_BOUND * origin * cost.ORIGIN_SHIELD_PER_10K / 10_000,
            "API, Lambda and DynamoDB behind it: one request per max-age":
                origin * (cost.API_GATEWAY_HTTP_PER_MILLION / cost.MILLION + per_poll_lambda + per_poll_read),
        },
    }


def run(m: dict) -> Section:
    section = Section(12, "Dashboards at campaign scale: 100,000 open for one hour")
    changing, quiet = polls_in(HOUR, changing=True), polls_in(HOUR, changing=False)
    viral = {name: sum(parts.values()) for name, parts in lines(m, DASHBOARDS * changing).items()}
    calm = {name: sum(parts.values()) for name, parts in lines(m, DASHBOARDS * quiet).items()}
    before, http, cdn = viral.values()
    section.row("Polls in the hour (figures changing every poll)", count(DASHBOARDS * changing),
                f"{count(DASHBOARDS * quiet)} if nothing changes; 0 from hidden tabs")
    section.row("Cost of that hour, REST API without CDN (before)", f"${before:,.2f}", "")
    section.row("Cost of that hour, HTTP API without CDN", f"${http:,.2f}", f"${before:,.2f} (REST)",
                ratio(http, before))
    section.row("Cost of that hour, behind CloudFront (the default)", f"${cdn:,.2f}", f"${before:,.2f} (REST)",
                ratio(cdn, before))
    section.row("Requests reaching the API in that hour, per petition", count(HOUR // MAX_AGE),
                f"{count(DASHBOARDS * changing)} without the CDN", ratio(HOUR // MAX_AGE, DASHBOARDS * changing, 5))
    table = []
    for name, parts in lines(m, DASHBOARDS * changing).items():
        for line, value in parts.items():
            table.append(f"| {name} | {line} | ${value:,.2f} |")
    section.notes += [
        f"- Each dashboard polls /totals every {POLL_SECONDS} s while the figures change: {changing} polls in an "
        f"hour, {count(DASHBOARDS * changing)} for {count(DASHBOARDS)} dashboards. While they do not change it "
        f"waits 10, 20, 40, then {QUIET_MAX} s ({quiet} polls in the hour: {count(DASHBOARDS * quiet)}), and a "
        "hidden tab polls nothing. The table prices the busy case: a viral petition's figures change between "
        f"any two polls. The same hour with figures that never change costs ${calm[list(calm)[0]]:,.2f}, "
        f"${calm[list(calm)[1]]:,.2f} and ${calm[list(calm)[2]]:,.2f}.",
        f"- Measured here, for a petition with signatures from all {m['countries']} countries: a 200 answer is "
        f"{m['bytes_200']:,} bytes as the app sends it (body {m['body']:,}, {m['body_gzip']:,} gzipped, which is "
        f"what CloudFront's compression sends; this model prices every poll as a 200), a 304 {m['bytes_304']:,}; "
        f"the totals item is {m['item_bytes']:,} bytes, {m['read_units']:g} read units per eventually consistent "
        f"GetItem; the handler takes a median {m['ms']:.2f} ms in process, billed as {math.ceil(m['ms'])} ms at "
        f"{cost.SIGN_MEMORY_MB} MB.",
        f"- Behind CloudFront every poll is a CloudFront request; Origin Shield and the answer's max-age "
        f"({MAX_AGE} s) let through at most one request per max-age per petition to the API "
        f"({HOUR // MAX_AGE} an hour). Origin Shield bills each request that a regional cache sends it; AWS does "
        f"not promise a number of caches, so the line assumes an upper bound of {CACHE_BOUND:,} caches each asking "
        "once per max-age. Data from API Gateway to CloudFront is free.",
        f"- Prices: {cost.PRICES_DATED}. {cost.PRICE_NOTES}",
        "",
        "| Front door | Line | The hour, figures changing every poll |",
        "|---|---|---|",
        *table,
    ]
    section.headline = (f"Dashboards: 100,000 open for an hour cost ${cdn:,.2f} behind CloudFront, ${http:,.2f} on "
                        f"the HTTP API alone, ${before:,.2f} on the REST API as before; the API sees "
                        f"{HOUR // MAX_AGE} requests an hour per petition instead of {count(DASHBOARDS * changing)}.")
    section.data = {"before": before, "http": http, "cdn": cdn}
    return section


def main() -> int:
    from chalice.test import Client

    from bench import engine

    with engine.dynamodb_local():
        from app import app

        with Client(app) as client:
            section = run(measure(client.http, engine.new_petition))
    print("\n".join(f"| {r.what} | {r.measured} | {r.baseline} | {r.ratio} |" for r in section.rows))
    print("\n".join(section.notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
