"""7. Scale replay: UNHCR's petition (1.1 million signatures, 8,500 from GB) as stream records over 100 shards.

Records are generated lazily in batches of 1,000, each batch from the next of
100 stream shards in turn, and handed to the deployed handler
(``app.on_signature_change``), which writes to DynamoDB Local; the resulting
totals must equal the generated counts exactly. Baseline: the
vote-app's per-record ADD on the first BASELINE_RECORDS of the same data,
records generated the same way, against the same DynamoDB Local.
"""
from __future__ import annotations

from bench.counter_writes import per_record_add
from bench.measure import clock, median
from bench.population import Population, RecordBuilder, event
from bench.report import Section, count, ratio
from bench.shards import shard_id
from chalicelib.tally import totals
from tools.request_meter import Meter
from tools.stream_settings import stream_settings

SIGNATURES = 1_100_000
GB_SIGNATURES = 8_500
BATCH = stream_settings()["BatchSize"]  # the deployed event source's, from the deploy template
BASELINE_RECORDS = 10_000
SEED = 1951
SHARDS = 100


def replay_once(handler, petition_id: str, signatures: int, gb: int, batch: int, shards: int = SHARDS) -> dict:
    population = Population(signatures, pinned={"GB": gb}, seed=SEED)
    builder = RecordBuilder(petition_id)
    meter = Meter()
    generate_s, handle_times = 0.0, []
    started = clock()
    with meter.active():
        countries = population.countries(batch=batch)
        while True:
            t0 = clock()
            drawn = next(countries, None)
            if drawn is None:
                break
            records = builder.records(drawn)
            t1 = clock()
            reply = handler(event(records, shard_id(len(handle_times) % shards)))
            t2 = clock()
            if reply["batchItemFailures"]:
                raise RuntimeError(f"the handler reported failures: {reply['batchItemFailures']}")
            generate_s += t1 - t0
            handle_times.append(t2 - t1)
    wall = clock() - started
    stored = totals.read(petition_id)
    expected = dict(population.counts)
    if stored["by_country"] != expected or stored["total"] != signatures:
        raise RuntimeError(f"totals differ from the generated data: stored {stored['total']:,}, "
                           f"expected {signatures:,}")
    return {"wall": wall, "generate": generate_s, "handle": sum(handle_times), "batch": median(handle_times),
            "writes": meter.writes, "units": meter.capacity(), "requests": dict(meter.operations),
            "expected": expected, "items": len(totals.petition_items(petition_id))}


def per_record_baseline(petition_id: str, records: int, gb: int, batch: int) -> float:
    """Seconds per record for generating the same records and ADDing each one."""
    population = Population(records, pinned={"GB": gb}, seed=SEED)
    builder = RecordBuilder(petition_id)
    started = clock()
    for drawn in population.countries(batch=batch):
        per_record_add(builder.records(drawn))
    elapsed = clock() - started
    if totals.read(petition_id)["total"] != records:
        raise RuntimeError("the per-record baseline's totals do not add up")
    return elapsed / records


def run(handler, new_petition, signatures: int = SIGNATURES, gb: int = GB_SIGNATURES,
        batch: int = BATCH, repeats: int = 3, baseline_records: int = BASELINE_RECORDS,
        shards: int = SHARDS) -> Section:
    section = Section(7, "Scale replay")
    runs = [replay_once(handler, new_petition("replay"), signatures, gb, batch, shards) for _ in range(repeats)]
    baseline_records = min(baseline_records, signatures)
    base_per_record = per_record_baseline(new_petition("replay-peradd"), baseline_records,
                                          round(gb * baseline_records / signatures), batch)
    wall = median([r["wall"] for r in runs])
    handle = median([r["handle"] for r in runs])
    generate = median([r["generate"] for r in runs])
    first = runs[0]
    expected = first["expected"]
    top = sorted(expected.items(), key=lambda kv: -kv[1])[:5]
    section.row(f"Replay: {signatures:,} signatures over {shards} shards through the handler into DynamoDB Local",
                f"{wall:.1f} s wall, {signatures / wall:,.0f} rec/s",
                f"{1 / base_per_record:,.0f} rec/s (per-record ADD, first {baseline_records:,} records)",
                ratio(wall / signatures, base_per_record, 3) + " the time per record")
    section.row("Replay: counter writes", f"{count(first['writes'])} writes, {count(first['units'])} WRU",
                f"{count(signatures)} writes (per-record ADD)", ratio(first["writes"], signatures, 4))
    section.row("Replay: totals equal the generated data", f"exact, in {repeats} of {repeats} runs",
                f"{len(expected)} countries, GB = {expected.get('GB', 0):,}", "")
    section.notes += [
        f"- {signatures:,} INSERT records for one petition in batches of {batch:,}, each batch from the next of "
        f"{shards} stream shards in turn (so the petition ends with {first['items']} totals items: one per shard "
        f"and none folded yet, as within 25 hours): GB pinned at {gb:,}, the rest "
        f"Zipf-like (s = 1.1) over {len(expected) - 1} other countries; top five: "
        + ", ".join(f"{c} {n:,}" for c, n in top) + ".",
        f"- Medians of {repeats} runs, each into a fresh petition: {wall:.1f} s wall, of which {generate:.1f} s "
        f"generating records and {handle:.1f} s in the handler ({signatures / handle:,.0f} rec/s; median "
        f"{median([r['batch'] for r in runs]) * 1000:.1f} ms per batch). Requests per run: "
        + ", ".join(f"{n:,} {op}" for op, n in first["requests"].items()) + " (the Query: the tally's hourly "
        "look for idle shard items). After each run one read of /totals (a Query of the petition's items) "
        "equals the generated counts for every country.",
        f"- The baseline ADDs each of the first {baseline_records:,} records of the same data, one UpdateItem per "
        "record; at that rate the full replay would make "
        f"{signatures:,} writes and take about {signatures * base_per_record / 60:.0f} minutes.",
    ]
    section.headline = (f"Scale replay: {signatures:,} signatures over {shards} shards in {wall:.0f} s "
                        f"({signatures / wall:,.0f} records/s) with {count(first['writes'])} counter writes; "
                        "totals exact.")
    section.data = {"batch_ms": median([r["batch"] for r in runs]) * 1000, "batch_size": batch,
                    "units_per_record": first["units"] / signatures, "writes": first["writes"],
                    "records_per_second": signatures / wall, "wall_s": wall, "exact": True}
    return section
