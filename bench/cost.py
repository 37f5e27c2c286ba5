"""8. Cost per million signatures on AWS, from this run's measured counts and durations.

Prices: AWS list prices as of PRICES_DATED. Lambda bills duration rounded up
to the millisecond; stream reads by Lambda are free. The front door is the
HTTP API (the template's default); the REST API's figure is beside it, and
each optional layer a campaign may switch on is priced on its own line.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from bench.report import Section, ratio

# The prices this project was given, not re-read from AWS's price pages: check them before quoting.
PRICES_DATED = ("us-east-1 (CloudFront: United States and Europe) as published in 2025, DynamoDB on-demand as "
                "reduced on 2024-11-01; written down on 2026-11-29, before any free tier")
PRICE_NOTES = ("API Gateway HTTP API $1.00 per million requests (the first 300 million a month), REST API $3.50 "
               "(the first 333 million); CloudFront $0.0100 per 10,000 HTTPS requests and $0.085 per GB out (the "
               "first 10 TB a month; other continents cost more), Origin Shield $0.0075 per 10,000 requests; data "
               "out of a region to the internet $0.09 per GB (the first 10 TB); AWS WAF $5.00 per web ACL and $1.00 "
               "per rule a month plus $0.60 per million requests; Amazon SES $0.10 per 1,000 emails.")
API_GATEWAY_REST_PER_MILLION = 3.50
API_GATEWAY_HTTP_PER_MILLION = 1.00
CLOUDFRONT_HTTPS_PER_10K = 0.0100
CLOUDFRONT_GB_OUT = 0.085
ORIGIN_SHIELD_PER_10K = 0.0075
REGION_GB_OUT = 0.09
WAF_PER_MILLION = 0.60
WAF_ACL_MONTH = 5.00
WAF_RULE_MONTH = 1.00
SES_PER_THOUSAND = 0.10
TARGET_PER_MILLION = 2.00
LAMBDA_REQUESTS_PER_MILLION = 0.20
LAMBDA_GB_SECOND = 0.0000166667  # x86
DYNAMODB_WRU_PER_MILLION = 0.625
DYNAMODB_RRU_PER_MILLION = 0.125
DEFAULT_MEMORY_MB = 512
MILLION = 1_000_000
CHALICE_CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"


def memory_mb(function: str) -> int:
    """The function's memory as deployed (.chalice/config.json), else Lambda's common 512 MB."""
    try:
        config = json.loads(CHALICE_CONFIG.read_text())
    except (OSError, ValueError):
        return DEFAULT_MEMORY_MB
    own = config.get("lambda_functions", {}).get(function, {})
    return int(own.get("lambda_memory_size", config.get("lambda_memory_size", DEFAULT_MEMORY_MB)))


SIGN_MEMORY_MB = memory_mb("api_handler")
TALLY_MEMORY_MB = memory_mb("on_signature_change")


@dataclass
class Inputs:
    sign_units: float  # write units per accepted signature (benchmark 1)
    naive_units: float  # the naive design's write units per signature (benchmark 1)
    sign_ms: float  # one sign request's duration in the handler (benchmark 4)
    batch_ms: float  # one stream batch's duration in the handler (benchmark 7)
    batch_size: int  # records per stream batch (benchmark 7)
    counter_units_per_record: float  # tally write units per signature (benchmark 7)
    sign_bytes: int = 0  # bytes of the app's answer to a sign request (benchmark 9's measurement)


def lambda_compute(invocations: float, ms: float, memory: int) -> float:
    return invocations * math.ceil(ms) / 1000 * memory / 1024 * LAMBDA_GB_SECOND


def lines(i: Inputs, duration_factor: float = 1.0, front_door: str = "http") -> dict[str, float]:
    n = MILLION
    batches = n / i.batch_size
    door = ("API Gateway HTTP API: 1 request per signature" if front_door == "http"
            else "API Gateway REST: 1 request per signature")
    price = API_GATEWAY_HTTP_PER_MILLION if front_door == "http" else API_GATEWAY_REST_PER_MILLION
    return {
        door: n * price / MILLION,
        "Lambda (sign): requests": n * LAMBDA_REQUESTS_PER_MILLION / MILLION,
        "Lambda (sign): duration": lambda_compute(n, i.sign_ms * duration_factor, SIGN_MEMORY_MB),
        "DynamoDB: signature writes": n * i.sign_units * DYNAMODB_WRU_PER_MILLION / MILLION,
        "Lambda (tally): requests": batches * LAMBDA_REQUESTS_PER_MILLION / MILLION,
        "Lambda (tally): duration": lambda_compute(batches, i.batch_ms * duration_factor, TALLY_MEMORY_MB),
        "DynamoDB: counter writes": n * i.counter_units_per_record * DYNAMODB_WRU_PER_MILLION / MILLION,
        "DynamoDB Streams reads by Lambda": 0.0,
    }


def naive_lines(i: Inputs) -> dict[str, float]:
    n = MILLION
    return {
        "API Gateway HTTP API": n * API_GATEWAY_HTTP_PER_MILLION / MILLION,
        "Lambda: requests": n * LAMBDA_REQUESTS_PER_MILLION / MILLION,
        "Lambda: duration (ours, a lower bound: it makes one more write)": lambda_compute(n, i.sign_ms, SIGN_MEMORY_MB),
        "DynamoDB: signature and counter writes": n * i.naive_units * DYNAMODB_WRU_PER_MILLION / MILLION,
    }


# Lambda polls each shard about four times a second; with no batching window each poll that finds records is a batch.
POLLS_PER_DAY = 4 * 86_400


def layers(i: Inputs) -> dict[str, float]:
    """What each optional layer adds per million signatures (monthly fixed fees apart)."""
    n = MILLION
    return {
        "CloudFront on the sign path (SignPath=cdn, and forms posted without JavaScript): 1 HTTPS request and "
        "the answer out":
            n * CLOUDFRONT_HTTPS_PER_10K / 10_000 + n * i.sign_bytes / 1024 ** 3 * CLOUDFRONT_GB_OUT,
        f"AWS WAF rate limits on the distribution (needs the line above) or on a REST stage; plus "
        f"${WAF_ACL_MONTH:.2f} a month for the web ACL and ${WAF_RULE_MONTH:.2f} per rule (3 rules: "
        f"${WAF_ACL_MONTH + 3 * WAF_RULE_MONTH:.2f} a month)": n * WAF_PER_MILLION / MILLION,
        "Verification mail: one email per signature (SES), before the confirming click's own request":
            n * SES_PER_THOUSAND / 1000,
    }


def run(i: Inputs) -> Section:
    section = Section(8, "Cost per million signatures on AWS")
    ours, rest, naive = lines(i), lines(i, front_door="rest"), naive_lines(i)
    total, rest_total, naive_total = sum(ours.values()), sum(rest.values()), sum(naive.values())
    slow_total = sum(lines(i, 10).values())
    extra = layers(i)
    cdn_layer = next(iter(extra.values()))
    per_batch = (LAMBDA_REQUESTS_PER_MILLION + i.counter_units_per_record * i.batch_size * DYNAMODB_WRU_PER_MILLION
                 + lambda_compute(MILLION, i.batch_ms, TALLY_MEMORY_MB)) / MILLION
    trickle = POLLS_PER_DAY * per_batch
    dynamodb = ours["DynamoDB: signature writes"] + ours["DynamoDB: counter writes"]
    section.row("Cost per million signatures, HTTP API (API Gateway + Lambda + DynamoDB)", f"${total:.2f}",
                f"${rest_total:.2f} (REST API, before)", ratio(total, rest_total))
    section.row("The same with CloudFront on the sign path (SignPath=cdn)", f"${total + cdn_layer:.2f}",
                f"${rest_total + cdn_layer:.2f} (REST API)", ratio(total + cdn_layer, rest_total + cdn_layer))
    section.row("Cost per million signatures, ours against the naive design (both on the HTTP API)",
                f"${total:.2f}", f"${naive_total:.2f} (naive: counter in the request)", ratio(total, naive_total))
    section.row("DynamoDB share of that cost", f"${dynamodb:.3f}",
                f"${naive['DynamoDB: signature and counter writes']:.3f} (naive)",
                ratio(dynamodb, naive["DynamoDB: signature and counter writes"]))
    table = "\n".join(f"| {name} | ${value:.4f} |" for name, value in ours.items())
    layer_table = "\n".join(f"| {name} | +${value:.2f} |" for name, value in extra.items())
    section.notes += [
        f"Prices: {PRICES_DATED}. {PRICE_NOTES} Lambda ${LAMBDA_REQUESTS_PER_MILLION:.2f} per million requests and "
        f"${LAMBDA_GB_SECOND:.10f} per GB-second (x86; memory as deployed in .chalice/config.json: "
        f"{SIGN_MEMORY_MB} MB for the API handler, {TALLY_MEMORY_MB} MB for the tally); DynamoDB on-demand "
        f"${DYNAMODB_WRU_PER_MILLION:.3f} per million write request units and "
        f"${DYNAMODB_RRU_PER_MILLION:.3f} per million "
        "read request units; stream reads by Lambda are free.",
        "",
        "Formula, for N = 1,000,000 signatures and stream batches of B records:",
        "",
        "```",
        "cost = N × 1.00/1e6                                  API Gateway HTTP API (REST: 3.50)",
        "     + N × 0.20/1e6 + N × ⌈t_sign⌉ × m_sign × 0.0000166667   sign Lambda",
        "     + N × u_sign × 0.625/1e6                         signature writes",
        "     + (N/B) × 0.20/1e6 + (N/B) × ⌈t_batch⌉ × m_tally × 0.0000166667   tally Lambda",
        "     + N × u_counter × 0.625/1e6                      counter writes",
        "```",
        "",
        f"with ⌈t⌉ in seconds rounded up to the millisecond and m in GB (m_sign = {SIGN_MEMORY_MB / 1024:g}, "
        f"m_tally = {TALLY_MEMORY_MB / 1024:g}). Measured in this run: t_sign = {i.sign_ms:.2f} ms "
        "(benchmark 4's median in-process sign request), "
        f"u_sign = {i.sign_units:.2f} WRU (benchmark 1), B = {i.batch_size:,}, t_batch = {i.batch_ms:.1f} ms "
        f"(benchmark 7's median batch in the handler), u_counter = {i.counter_units_per_record:.5f} WRU per record "
        f"(benchmark 7). Durations were measured on this machine against DynamoDB Local; a Lambda function at "
        f"{SIGN_MEMORY_MB} MB has a fraction of a core and real network round trips, so even at 10× the measured "
        f"durations the total would be ${slow_total:.2f}. Reading totals is extra and depends on viewers: "
        "each uncached /totals request is one API Gateway request, one Lambda invocation and a strongly "
        "consistent Query of the petition's items, 1 read unit per 4 KB (benchmark 9 measures it at 1 to 1,000 "
        "shards; benchmark 12 prices 100,000 dashboards). Batches are full (B records) only under "
        "load; a trickle of signatures makes smaller batches, at most one per poll (about four a second per "
        "shard: the batching window is 0), each a tally invocation and one counter write: at most "
        f"{POLLS_PER_DAY:,} a day per shard, ${trickle:.2f} a day.",
        "",
        f"Target: at most ${TARGET_PER_MILLION:.2f} per million signatures in the base configuration (HTTP API, no "
        f"layer): ${total:.2f}, {'met' if total <= TARGET_PER_MILLION else 'missed'}. That is the default deployment "
        "for a signer with JavaScript: the sign page is served through CloudFront, but its script posts the "
        "signature to the API's own address (SignPath=direct); a form posted without JavaScript goes through "
        "CloudFront and costs the first layer below on top.",
        "",
        "| Line (ours, HTTP API) | per million signatures |",
        "|---|---|",
        table,
        "",
        f"Optional layers, each beside the base (the sign answer is {i.sign_bytes:,} bytes as the app sends it):",
        "",
        "| Layer | adds per million signatures |",
        "|---|---|",
        layer_table,
    ]
    section.headline = (f"Cost: ${total:.2f} per million signatures on the HTTP API, as deployed by default (REST "
                        f"API before: ${rest_total:.2f}; target ${TARGET_PER_MILLION:.2f}); CloudFront on the sign "
                        f"path, an option, adds ${cdn_layer:.2f}.")
    section.data = {"total": total, "rest_total": rest_total, "naive_total": naive_total, "layers": extra}
    return section
