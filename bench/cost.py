"""8. Cost per million signatures on AWS, from this run's measured counts and durations.

Prices: AWS list prices for us-east-1 as of PRICES_DATED. Lambda bills
duration rounded up to the millisecond; stream reads by Lambda are free.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from .report import Section, ratio

# The prices this project was given, not re-read from AWS's price pages: check them before quoting.
PRICES_DATED = "November 2024 (DynamoDB on-demand as reduced on 2024-11-01); written down on 2026-11-27"
API_GATEWAY_REST_PER_MILLION = 3.50
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


def lambda_compute(invocations: float, ms: float, memory: int) -> float:
    return invocations * math.ceil(ms) / 1000 * memory / 1024 * LAMBDA_GB_SECOND


def lines(i: Inputs, duration_factor: float = 1.0) -> dict[str, float]:
    n = MILLION
    batches = n / i.batch_size
    return {
        "API Gateway REST: 1 request per signature": n * API_GATEWAY_REST_PER_MILLION / MILLION,
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
        "API Gateway REST": n * API_GATEWAY_REST_PER_MILLION / MILLION,
        "Lambda: requests": n * LAMBDA_REQUESTS_PER_MILLION / MILLION,
        "Lambda: duration (ours, a lower bound: it makes one more write)": lambda_compute(n, i.sign_ms, SIGN_MEMORY_MB),
        "DynamoDB: signature and counter writes": n * i.naive_units * DYNAMODB_WRU_PER_MILLION / MILLION,
    }


# Lambda polls each shard about four times a second; with no batching window each poll that finds records is a batch.
POLLS_PER_DAY = 4 * 86_400


def run(i: Inputs) -> Section:
    section = Section(8, "Cost per million signatures on AWS")
    ours, naive = lines(i), naive_lines(i)
    total, naive_total = sum(ours.values()), sum(naive.values())
    slow_total = sum(lines(i, 10).values())
    per_batch = (LAMBDA_REQUESTS_PER_MILLION + i.counter_units_per_record * i.batch_size * DYNAMODB_WRU_PER_MILLION
                 + lambda_compute(MILLION, i.batch_ms, TALLY_MEMORY_MB)) / MILLION
    trickle = POLLS_PER_DAY * per_batch
    dynamodb = ours["DynamoDB: signature writes"] + ours["DynamoDB: counter writes"]
    section.row("Cost per million signatures (API Gateway + Lambda + DynamoDB)", f"${total:.2f}",
                f"${naive_total:.2f} (naive: counter in the request)", ratio(total, naive_total))
    section.row("DynamoDB share of that cost", f"${dynamodb:.3f}",
                f"${naive['DynamoDB: signature and counter writes']:.3f}",
                ratio(dynamodb, naive["DynamoDB: signature and counter writes"]))
    table = "\n".join(f"| {name} | ${value:.4f} |" for name, value in ours.items())
    section.notes += [
        f"Prices: us-east-1 list prices as of {PRICES_DATED}: API Gateway REST ${API_GATEWAY_REST_PER_MILLION:.2f} "
        f"per million requests; Lambda ${LAMBDA_REQUESTS_PER_MILLION:.2f} per million requests and "
        f"${LAMBDA_GB_SECOND:.10f} per GB-second (x86; memory as deployed in .chalice/config.json: "
        f"{SIGN_MEMORY_MB} MB for the API handler, {TALLY_MEMORY_MB} MB for the tally); DynamoDB on-demand "
        f"${DYNAMODB_WRU_PER_MILLION:.3f} per million write request units and "
        f"${DYNAMODB_RRU_PER_MILLION:.3f} per million "
        "read request units; stream reads by Lambda are free.",
        "",
        "Formula, for N = 1,000,000 signatures and stream batches of B records:",
        "",
        "```",
        "cost = N × 3.50/1e6                                  API Gateway",
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
        "shards). Batches are full (B records) only under "
        "load; a trickle of signatures makes smaller batches, at most one per poll (about four a second per "
        "shard: the batching window is 0), each a tally invocation and one counter write: at most "
        f"{POLLS_PER_DAY:,} a day per shard, ${trickle:.2f} a day.",
        "",
        "| Line (ours) | per million signatures |",
        "|---|---|",
        table,
    ]
    section.headline = (f"Cost: ${total:.2f} per million signatures on AWS (naive: ${naive_total:.2f}); "
                        f"API Gateway is {ours['API Gateway REST: 1 request per signature'] / total:.0%} of it.")
    section.data = {"total": total, "naive_total": naive_total}
    return section
