"""3. Tally CPU: records per second through the handler's pure part (images to per-petition deltas).

Baseline: a bare loop that only decodes the same records (reads the sequence
number and the images' status, petition and country) and computes nothing.
"""
from __future__ import annotations

import gc

from bench.measure import clock, median
from bench.population import Population, RecordBuilder
from bench.report import Section, ratio
from chalicelib.tally import stream_tally


def pure_part(batches: list[list[dict]]) -> None:
    for batch in batches:
        effects = [stream_tally.effect_of(record) for record in batch]
        for petition_batch in stream_tally.group_by_petition(effects).values():
            _ = petition_batch.deltas  # summing is the measured work


def bare_decode(batches: list[list[dict]]) -> None:
    for batch in batches:
        for record in batch:
            images = record["dynamodb"]
            int(images["SequenceNumber"])
            for image in (images.get("OldImage"), images.get("NewImage")):
                if image is not None:
                    image["status"]["S"], image["petition_id"]["S"], image["country"]["S"]


def timed(function, batches) -> float:
    gc.collect()
    start = clock()
    function(batches)
    return clock() - start


def run(records: int = 100_000, repeats: int = 7, batch: int = 1000) -> Section:
    section = Section(3, "Tally CPU")
    builder = RecordBuilder("cpu")
    batches = [builder.records(drawn) for drawn in Population(records, seed=3).countries(batch=batch)]
    pure, bare = [], []
    for i in range(repeats):  # interleaved, alternating which goes first
        pair = [(pure, pure_part), (bare, bare_decode)]
        for times, function in (pair if i % 2 == 0 else pair[::-1]):
            times.append(timed(function, batches))
    pure_s, bare_s = median(pure), median(bare)
    section.row(f"Tally pure part: records per second ({records:,} records)",
                f"{records / pure_s:,.0f} rec/s", f"{records / bare_s:,.0f} rec/s (bare decode loop)",
                f"{ratio(pure_s, bare_s)} the time")
    section.notes += [
        f"- {records:,} INSERT records in batches of {batch:,}, built once; median of {repeats} interleaved runs "
        f"each. Pure part: `effect_of` per record, `group_by_petition`, the summed deltas. "
        f"Median {pure_s * 1e6 / records:.2f} µs per record against {bare_s * 1e6 / records:.2f} µs for the "
        "bare decode, which is the floor any tally in Python pays.",
    ]
    section.headline = (f"Tally CPU: {records / pure_s:,.0f} records/s through the pure part, "
                        f"{pure_s / bare_s:.1f}× the time of a bare decode loop.")
    section.data = {"records_per_second": records / pure_s, "ratio": pure_s / bare_s}
    return section
