"""9. Sharded counters: what a counter write, an item and a read of /totals cost at 1 to 1,000 stream shards.

For each shard count N, one petition receives one 1,000-record batch from
each of N shards through the deployed handler (so it has N shard items, as
after N shards wrote to it within 25 hours); then one more batch is counted
and /totals read once, uncached, each with the capacity DynamoDB Local
reports. Baseline, in the same run and engine: the single-item layout used
before, one item per petition carrying every country and a high-water mark
per shard (about 126 bytes each), written and read the way the tally and
/totals did (a conditional UpdateItem of the whole item, an eventually
consistent GetItem).
"""
from __future__ import annotations

from collections import defaultdict

from bench.population import Population, RecordBuilder, event
from bench.report import Section, count, ratio
from chalicelib.aws import capacity, clients, clock
from chalicelib.i18n import countries
from chalicelib.tally import stream_tally, totals
from tools.request_meter import Meter

SHARD_COUNTS = (1, 10, 100, 1000)
BATCH = 1000
ROUND_SHARDS = 100  # the load: 100 shards each delivering a 1,000-record batch every second
SINGLE_TABLE = "bench-totals-single-item"


def shard_id(i: int) -> str:
    return f"shardId-{17_642_016_00000 + i:020d}-{i:08x}"


# ---- the single-item layout of before: the baseline ------------------------------

def _single_item_table() -> str:
    client = clients.dynamodb()
    if SINGLE_TABLE not in client.list_tables()["TableNames"]:
        client.create_table(TableName=SINGLE_TABLE, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "petition_id", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "petition_id", "KeyType": "HASH"}])
        client.get_waiter("table_exists").wait(TableName=SINGLE_TABLE)
    return SINGLE_TABLE


def _mark_names(shard: str) -> tuple[str, str]:
    """Where the single-item layout kept a shard's mark and its time (one pair per shard on the petition's item)."""
    return f"hw_{shard}", f"ht_{shard}"


def single_item(petition_id: str, by_country: dict[str, int], shards: int, now: int) -> dict:
    item = {"petition_id": {"S": petition_id}, "goal": {"N": "1500000"}, "updated_at": {"S": clock.stamp(now)},
            **{totals.country_attribute(c): {"N": str(n)} for c, n in by_country.items()}}
    for i in range(shards):
        mark, written = _mark_names(shard_id(i))
        item[mark] = {"S": stream_tally.padded(10 ** 20 + i)}
        item[written] = {"N": str(now)}
    return item


def single_item_write(petition_id: str, shard: str, deltas: dict[str, int], first: int, last: int,
                      now: int) -> float:
    """The former tally's write of one batch: the whole item rewritten; the write units it cost."""
    mark, written = _mark_names(shard)
    names = {"#hw": mark, "#ht": written, "#at": "updated_at"}
    values = {":first": stream_tally.padded(first), ":last": stream_tally.padded(last), ":now": now,
              ":at": clock.stamp(now)}
    reply = clients.dynamodb().update_item(
        TableName=SINGLE_TABLE, Key={"petition_id": {"S": petition_id}},
        UpdateExpression=totals.adding_counts(["#hw = :last", "#ht = :now", "#at = :at"], names, values, deltas),
        ConditionExpression="attribute_not_exists(#hw) OR #hw < :first",
        ExpressionAttributeNames=names, ExpressionAttributeValues=totals.typed(values),
        ReturnConsumedCapacity="TOTAL")
    return reply["ConsumedCapacity"]["CapacityUnits"]


# ---- ours ------------------------------------------------------------------------

def _batch(builder: RecordBuilder, population_batches) -> tuple[list[dict], dict[str, int]]:
    drawn = next(population_batches)
    deltas: dict[str, int] = defaultdict(int)
    for country in drawn:
        deltas[country] += 1
    return builder.records(drawn), dict(deltas)


def measure(handler, new_petition, shards: int, batch: int = BATCH) -> dict:
    petition_id = new_petition(f"shards{shards}")
    builder = RecordBuilder(petition_id)
    population = Population(batch * (shards + 1), seed=shards)
    draws = population.countries(batch=batch)
    round_units: dict[tuple, float] = defaultdict(float)
    round_meter = Meter()
    with round_meter.active():
        for i in range(shards):
            records, _ = _batch(builder, draws)
            if handler(event(records, shard_id(i)))["batchItemFailures"]:
                raise RuntimeError("the handler reported failures")
    for call in round_meter.of({"UpdateItem", "TransactWriteItems"}):
        key = call.params.get("Key") or {}
        round_units[tuple(sorted((k, v["S"]) for k, v in key.items()))] += call.units or 0
    records, deltas = _batch(builder, draws)
    write = Meter()
    with write.active():
        handler(event(records, shard_id(0)))
    items = totals.petition_items(petition_id)
    read = Meter()
    with read.active():
        figures = totals.read(petition_id)
    if figures is None or figures["total"] != batch * (shards + 1):
        raise RuntimeError(f"totals of {petition_id} do not add up")

    now = int(clock.utc_now().timestamp())
    table = _single_item_table()
    client = clients.dynamodb()
    counts_before = {c: n - deltas.get(c, 0) for c, n in totals.summed(items).items()}
    client.put_item(TableName=table, Item=single_item(petition_id, counts_before, shards, now - 60))
    first = int(records[0]["dynamodb"]["SequenceNumber"])
    base_write = single_item_write(petition_id, shard_id(0), deltas, first, first + len(records), now)
    base_read = client.get_item(TableName=table, Key={"petition_id": {"S": petition_id}},
                                ReturnConsumedCapacity="TOTAL")
    single = base_read["Item"]
    return {
        "write_units": write.capacity("UpdateItem"), "write_requests": write.count("UpdateItem"),
        "largest_item": max(capacity.item_size(item) for item in items),
        "items": len(items), "read_units": read.capacity("Query"), "read_requests": read.count("Query"),
        "round_max_units": max(round_units.values()),
        "baseline_write_units": base_write, "baseline_item": capacity.item_size(single),
        "baseline_read_units": base_read["ConsumedCapacity"]["CapacityUnits"],
        "countries": len(figures["by_country"]),
    }


def single_item_round(petition_id: str, shards: int, batch: int = BATCH) -> float:
    """Write units the single item takes when each of ``shards`` shards delivers one batch (one second's load)."""
    population = Population(batch * shards, seed=7)
    draws = population.countries(batch=batch)
    now = int(clock.utc_now().timestamp())
    clients.dynamodb().put_item(TableName=_single_item_table(),
                            Item=single_item(petition_id, {}, shards, now - 60))
    units, sequence = 0.0, 10 ** 21
    for i in range(shards):
        drawn = next(draws)
        deltas: dict[str, int] = defaultdict(int)
        for country in drawn:
            deltas[country] += 1
        units += single_item_write(petition_id, shard_id(i), dict(deltas), sequence, sequence + batch, now)
        sequence += batch + 1
    return units


def every_country_item() -> tuple[int, int]:
    """The largest a shard item gets: a count of six digits for every country code (size, write units)."""
    item = {**totals.shard_key("p" * 48, shard_id(0)), totals.MARK: {"S": stream_tally.padded(10 ** 39)},
            totals.MARK_TIME: {"N": "1764201600"}, totals.UPDATED_AT: {"S": "2026-11-27T00:00:00Z"},
            **{totals.country_attribute(c): {"N": "999999"} for c in countries.names()}}
    size = capacity.item_size(item)
    return size, capacity.write_units(size)


def run(handler, new_petition, shard_counts=SHARD_COUNTS, batch: int = BATCH) -> Section:
    section = Section(9, "Sharded counters")
    results = {n: measure(handler, new_petition, n, batch) for n in shard_counts}
    for n, r in results.items():
        section.row(f"Counter write at {n:,} shard{'s' if n > 1 else ''} in 25 h: write units",
                    f"{count(r['write_units'])} WRU ({r['write_requests']} UpdateItem)",
                    f"{count(r['baseline_write_units'])} WRU (single item, a mark per shard)",
                    ratio(r["write_units"], r["baseline_write_units"]))
        section.row(f"Largest totals item at {n:,} shard{'s' if n > 1 else ''}",
                    f"{r['largest_item']:,} bytes ({r['items']:,} items)",
                    f"{r['baseline_item']:,} bytes (one item)", ratio(r["largest_item"], r["baseline_item"]))
        section.row(f"Uncached /totals at {n:,} shard{'s' if n > 1 else ''}: read units",
                    f"{count(r['read_units'])} RCU ({r['read_requests']} Query, strongly consistent)",
                    f"{count(r['baseline_read_units'])} RCU (GetItem, eventually consistent)",
                    ratio(r["read_units"], r["baseline_read_units"]))
    largest, largest_units = every_country_item()
    if ROUND_SHARDS in results:
        ours_round = results[ROUND_SHARDS]["round_max_units"]
        base_round = single_item_round(new_petition("shards-round"), ROUND_SHARDS, batch)
        section.row(f"Write units one item takes while {ROUND_SHARDS} shards each deliver a {batch:,}-record batch "
                    "(one second at that rate)", f"{count(ours_round)} WRU (its shard's item)",
                    f"{count(base_round)} WRU (the single item; DynamoDB's limit is 1,000 a second)",
                    ratio(ours_round, base_round, 4))
        section.data["round_max_units"], section.data["baseline_round_units"] = ours_round, base_round
    sample = results[max(results)]
    section.notes += [
        f"- For each shard count N: one petition, one {batch:,}-record batch from each of N shards (countries "
        "drawn as in benchmark 7, so each shard's item holds the hundred or so countries its batch saw), "
        "through the deployed handler into DynamoDB Local; then one more batch on one shard (the write "
        "measured) and one uncached read of /totals (a Query of the base item and every shard item, "
        "paginated past 1 MB). Capacity as DynamoDB Local reports it; sizes as DynamoDB bills them "
        "(`chalicelib.aws.capacity`). The totals added up exactly every time.",
        "- Baseline: the same counts in the single-item layout of before, with the N shards' marks (40-digit "
        "sequence number and its time, about 126 bytes per shard), in a table of its own in the same engine: "
        "the former tally's conditional UpdateItem of one batch, and the former /totals GetItem.",
        f"- The largest a shard item can get, a six-digit count for every one of {len(countries.names())} "
        f"country codes: {largest:,} bytes, {largest_units} write units per counter write. The base item "
        "holds the same counters plus the goal and fold number, and is written only by folds, once per "
        "shard item (a transaction: twice the units of its two items).",
        f"- Reads grow with the shards that wrote to the petition in the last 25 hours: at {max(results):,} "
        f"shards, {sample['items']:,} items and {count(sample['read_units'])} read units per uncached read. "
        "Each warm API container keeps a reply for TOTALS_CACHE_SECONDS (0.25 s), so it reads a petition's "
        "items at most four times a second; behind the CDN (on by default, with Origin Shield) /totals reaches "
        "the API about once per Cache-Control max-age (5 s), whatever the audience (benchmark 12). A shard "
        "item idle for 25 hours is folded into the base item, so the count falls back as a petition quietens.",
    ]
    if ROUND_SHARDS in results:
        section.notes.append(
            f"- Write rate per item: in the round of {ROUND_SHARDS} shards' batches above, no item took more "
            f"than {count(section.data['round_max_units'])} write units; replayed on the single item, the "
            f"same round cost {count(section.data['baseline_round_units'])} write units on that one item, "
            "past DynamoDB's 1,000 a second per item if it came within a second.")
    top = results[max(results)]
    section.headline = (f"Sharded counters: at {max(results):,} shards a counter write costs "
                        f"{count(top['write_units'])} write units (single item: "
                        f"{count(top['baseline_write_units'])}), the largest item is {top['largest_item']:,} bytes "
                        f"(single item: {top['baseline_item']:,}); an uncached /totals reads "
                        f"{count(top['read_units'])} units.")
    section.data["results"] = results
    return section
