"""14. Fraud controls: the trending detector's CPU per record, beside the tally's pure part.

Both run over the same INSERT records (each image carrying an IP hash from
a pool of 1,000 clients, as the sign path stores them); the detector is the
extra work the tally does per batch for trending detection. No request is
measured here: the detector makes none, and the sign path's one request per
signature is section 1's.
"""
from __future__ import annotations

import gc

from bench.measure import clock, median
from bench.population import Population, RecordBuilder
from bench.report import Section, ratio
from bench.tally_cpu import pure_part
from chalicelib.aws import config
from chalicelib.fraud import trending

CLIENTS = 1000


def with_clients(batches: list[list[dict]]) -> list[list[dict]]:
    n = 0
    for batch in batches:
        for record in batch:
            record["dynamodb"]["NewImage"]["ip_hash"] = {"S": f"{n % CLIENTS:032x}"}
            n += 1
    return batches


def detector(batches: list[list[dict]]) -> None:
    for batch in batches:
        trending.detect(batch, now=1000.0)


def timed(function, batches) -> float:
    gc.collect()
    start = clock()
    function(batches)
    return clock() - start


def run(records: int = 100_000, repeats: int = 7, batch: int = 1000) -> Section:
    section = Section(14, "Fraud controls")
    config.reset()
    trending.reset()
    builder = RecordBuilder("fraud")
    batches = with_clients([builder.records(drawn) for drawn in Population(records, seed=13).countries(batch=batch)])
    tally, detect = [], []
    for i in range(repeats):
        pair = [(tally, pure_part), (detect, detector)]
        for times, function in (pair if i % 2 == 0 else pair[::-1]):
            trending.reset()
            times.append(timed(function, batches))
    tally_s, detect_s = median(tally), median(detect)
    section.row(f"Trending detector: µs per record ({records:,} records)", f"{detect_s * 1e6 / records:.2f} µs",
                f"{tally_s * 1e6 / records:.2f} µs (the tally's pure part)", f"{ratio(detect_s, tally_s)} the time")
    section.notes += [
        f"- {records:,} INSERT records in batches of {batch:,} from {CLIENTS:,} client hashes; median of {repeats} "
        "interleaved runs each. Detector: `trending.detect` per batch (counting per IP hash, email domain and "
        "country, the rolling window and the thresholds); it writes nothing and makes no request. The sign "
        "path's DynamoDB requests per accepted signature stay 1 (section 1): the blocklists come from the "
        "container's copy.",
    ]
    section.headline = (f"Trending detector: {detect_s * 1e6 / records:.2f} µs per record, "
                        f"{ratio(detect_s, tally_s)} the tally's pure part")
    section.data = {"detector_us": detect_s * 1e6 / records, "tally_us": tally_s * 1e6 / records}
    return section
