"""7. Scale replay: UNHCR's petition (1.1 million signatures, 8,500 from GB) as stream records.

Records are generated lazily in batches of 1,000 and handed to the deployed
handler (``app.on_signature_change``), which writes to DynamoDB Local; the
resulting totals must equal the generated counts exactly.
"""
from __future__ import annotations

from chalicelib import totals

from .measure import Meter, clock, median
from .population import Population, RecordBuilder, event
from .report import Section, count, ratio

SIGNATURES = 1_100_000
GB_SIGNATURES = 8_500
BATCH = 1000


def run(handler, new_petition, signatures: int = SIGNATURES, gb: int = GB_SIGNATURES,
        batch: int = BATCH) -> Section:
    section = Section(7, "Scale replay")
    petition_id = new_petition("replay")
    population = Population(signatures, pinned={"GB": gb}, seed=1951)
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
            reply = handler(event(records))
            t2 = clock()
            if reply["batchItemFailures"]:
                raise RuntimeError(f"the handler reported failures: {reply['batchItemFailures']}")
            generate_s += t1 - t0
            handle_times.append(t2 - t1)
    wall = clock() - started
    stored = totals.read(petition_id)
    expected = dict(population.counts)
    exact = stored["by_country"] == expected and stored["total"] == signatures
    if not exact:
        raise RuntimeError(f"totals differ from the generated data: stored {stored['total']:,}, "
                           f"expected {signatures:,}")
    handle_s = sum(handle_times)
    writes = meter.writes
    top = sorted(expected.items(), key=lambda kv: -kv[1])[:5]
    section.row(f"Replay: {signatures:,} signatures through the handler into DynamoDB Local",
                f"{wall:.1f} s wall, {signatures / wall:,.0f} rec/s",
                f"{generate_s:.1f} s of it generating the records", ratio(handle_s, wall) + " in the handler")
    section.row("Replay: counter writes", f"{count(writes)} writes, {count(meter.capacity())} WRU",
                f"{count(signatures)} writes (per-record ADD)", ratio(writes, signatures, 4))
    section.row("Replay: totals equal the generated data", "exact" if exact else "DIFFERENT",
                f"{len(expected)} countries, GB = {expected.get('GB', 0):,}", "")
    section.notes += [
        f"- {signatures:,} INSERT records for one petition in batches of {batch:,}: GB pinned at {gb:,}, the rest "
        f"Zipf-like (s = 1.1) over {len(expected) - 1} other countries; top five: "
        + ", ".join(f"{c} {n:,}" for c, n in top) + ".",
        f"- One run (it is the scale check, not a timing): handler {handle_s:.1f} s in total, median "
        f"{median(handle_times) * 1000:.1f} ms per batch; {meter.requests} AWS requests in all "
        f"({dict(meter.operations)}). The stored totals (one GetItem) equal the generated counts for every country.",
    ]
    section.data = {"batch_ms": median(handle_times) * 1000, "batch_size": batch,
                    "units_per_record": meter.capacity() / signatures, "writes": writes,
                    "records_per_second": signatures / wall, "wall_s": wall}
    return section
