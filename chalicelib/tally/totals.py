"""Per-petition running totals: the items the stream tally writes and the dashboard reads.

A petition's totals are several small items under one partition key (the
sharded-counter pattern), so that what one write costs does not grow with the
number of shards the signatures stream has had:

- the **base** item (sort key ``base``): the goal, and the counts of shards
  that have been folded into it, one ``c_<CC>`` counter per country;
- one **shard** item per stream shard that has written to the petition (sort
  key ``shard#<shard id>``): that shard's ``c_<CC>`` counters and the tally's
  high-water mark for it (``hw``, written at ``ht``). Only that shard's
  batches write it, one conditional UpdateItem per batch, so it stays small
  (a counter per country and one mark) and receives at most a few writes a
  second.

A shard item idle for longer than the stream's retention can never see a
record it has counted again, so it is **folded** into the base item, once:
one transaction adds its counts to the base item, increments the base's fold
number ``folds`` and flags the shard item with that number (``folded``, at
``folded_at``). A reader sums the base item and every shard item not yet
included in it (``summed``): an item flagged with a fold number the base has
reached is skipped. A Query returns the base item first (``base`` sorts
before ``shard#``), so a fold that lands while a reader is between the two
is counted exactly once either way. Flagged items are deleted once no read
that began before their fold can still be going on.

Campaigners' figures live in the same items, written by the same conditional
UpdateItem, but never in the public figures (``view``): one ``s_<bucket>``
counter per **source bucket** (a code the petition registered for a partner
link, ``other`` for any other code, ``direct`` for none; see
``source_bucket``), and on each item up to ``RECENT_SLOTS`` **recent
signature** entries (``r<NN>``: minute, country, bucket; nothing about the
signer), which ``recent`` merges, newest first.

The total is the sum of the countries, not a second counter, so the two cannot
disagree. This module owns the layout: every reader and writer (the tally,
reconcile, benchmarks, tests) names attributes and keys through it. The items
are written with raw boto3 rather than PynamoDB because their attribute names
vary per country, which a model's fixed attribute list cannot express.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict, defaultdict
from collections.abc import Mapping

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.aws import caches, clients, config, metrics

PETITION = "petition_id"
PART = "part"  # the sort key
BASE_PART = "base"
SHARD_PART_PREFIX = "shard#"
COUNTRY_PREFIX = "c_"
MARK = "hw"  # shard item: the highest sequence number applied (40 digits, zero-padded)
MARK_TIME = "ht"  # shard item: when the mark was last written (epoch seconds)
FOLDED = "folded"  # shard item: the fold number that added its counts to the base item
FOLDED_AT = "folded_at"  # shard item: when (epoch seconds)
FOLDS = "folds"  # base item: how many folds it has taken in
SOURCE_PREFIX = "s_"
RECENT_PREFIX = "r"  # r00 .. r09: recent signature entries (see ``recent_entry``)
# Recent entries kept per item: about 300 bytes, so a shard item stays within a
# write unit or two; readers merge every live item's, newest first.
RECENT_SLOTS = 10
RECENT_SHOWN = 20
GOAL = "goal"
UPDATED_AT = "updated_at"
MIGRATED_FROM = "migrated_from"  # base item: the single-item table its counts were copied from, once

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# ---- the layout -------------------------------------------------------------

def key(petition_id: str) -> dict:
    """The petition's base item."""
    return {PETITION: {"S": petition_id}, PART: {"S": BASE_PART}}


def shard_key(petition_id: str, shard: str) -> dict:
    """The item one stream shard counts a petition's signatures into."""
    return {PETITION: {"S": petition_id}, PART: {"S": SHARD_PART_PREFIX + shard}}


def item_key(item: dict) -> dict:
    return {PETITION: item[PETITION], PART: item[PART]}


def country_attribute(country: str) -> str:
    return COUNTRY_PREFIX + country


def source_attribute(bucket: str) -> str:
    return SOURCE_PREFIX + bucket


def recent_attribute(slot: int) -> str:
    return f"{RECENT_PREFIX}{slot:02d}"


# ---- source buckets and recent entries (campaigners' figures, never public) ---

# The buckets a signature's ``source`` code is counted under. The bucket is
# decided when the signature is stored (``counted_source``, kept by
# anonymisation) from the petition's registered ``sources``, so every stream
# record of one signature (its INSERT, each MODIFY, its REMOVE) and a recount
# by reconcile put it in the same bucket, whatever the registered list says
# later; and a script sending made-up codes grows nothing: unregistered codes
# all count as ``other``.
DIRECT = "direct"  # signed without a source (a partner link's code)
OTHER = "other"  # a code the petition did not register
RESERVED_SOURCES = (DIRECT, OTHER)
COUNTED_SOURCE = "counted_source"  # the signature attribute holding the bucket (absent: direct)
MAX_SOURCES = 20  # registered codes per petition: bounds the s_ counters on every item


def bucket_for(code: str | None, registered) -> str | None:
    """The bucket a new signature with source ``code`` is stored with (None: direct)."""
    if not code:
        return None
    return code if code in (registered or ()) and code not in RESERVED_SOURCES else OTHER


def source_bucket(counted_source: str | None) -> str:
    """The bucket a stored signature counts under (signatures stored before buckets existed count as direct)."""
    return counted_source or DIRECT


def recent_entry(created_at: str, country: str, bucket: str) -> str:
    """One recent signature as stored: its minute, country and bucket, nothing else.

    ``created_at`` is the signature's ISO 8601 stamp; cut to the minute, so
    the entries say when signatures came without pinning one signer down.
    """
    return f"{created_at[:16]} {country} {bucket}"


# Reconcile checks source buckets like countries, named "source:<bucket>" (a country is two letters).
SOURCE_KEY = "source:"


def counter_attribute(name: str) -> str:
    """The attribute of a country code, or of a source bucket named ``source:<bucket>``."""
    return source_attribute(name[len(SOURCE_KEY):]) if name.startswith(SOURCE_KEY) else country_attribute(name)


def typed(values: dict) -> dict:
    """Plain Python values as DynamoDB's typed values (for expression values)."""
    return {name: _serializer.serialize(value) for name, value in values.items()}


def _plain(value: dict):
    return _deserializer.deserialize(value)


def petition_of(item: dict) -> str:
    return _plain(item[PETITION])


def is_base(item: dict) -> bool:
    return _plain(item[PART]) == BASE_PART


def shard_of(item: dict) -> str | None:
    """The stream shard a shard item belongs to (None for the base item)."""
    part = _plain(item[PART])
    return part[len(SHARD_PART_PREFIX):] if part.startswith(SHARD_PART_PREFIX) else None


def counts(item: dict) -> dict[str, int]:
    """Every country counter in one stored (typed) item, zeros included."""
    return {attr[len(COUNTRY_PREFIX):]: int(_plain(value))
            for attr, value in item.items() if attr.startswith(COUNTRY_PREFIX)}


def source_counts(item: dict) -> dict[str, int]:
    """Every source bucket counter in one stored (typed) item, zeros included."""
    return {attr[len(SOURCE_PREFIX):]: int(_plain(value))
            for attr, value in item.items() if attr.startswith(SOURCE_PREFIX)}


def recent_entries(item: dict) -> dict[str, str]:
    """The recent signature slots of one stored item: attribute -> entry."""
    return {attr: _plain(value) for attr, value in item.items()
            if attr.startswith(RECENT_PREFIX) and attr[len(RECENT_PREFIX):].isdigit()}


def counters(item: dict) -> dict[str, int]:
    """Countries and source buckets (as ``source:<bucket>``) of one stored item."""
    return {**counts(item), **{SOURCE_KEY + bucket: n for bucket, n in source_counts(item).items()}}


def _number(item: dict, attribute: str) -> int | None:
    return int(_plain(item[attribute])) if attribute in item else None


def stored_mark(item: dict) -> str | None:
    """A shard item's high-water sequence number (padded text), if any."""
    return _plain(item[MARK]) if MARK in item else None


def mark_time(item: dict) -> int | None:
    return _number(item, MARK_TIME)


def folded(item: dict) -> int | None:
    """The fold number a shard item was folded with, or None if it is live."""
    return _number(item, FOLDED)


def folded_at(item: dict) -> int | None:
    return _number(item, FOLDED_AT)


def folds(base: dict | None) -> int:
    return (_number(base, FOLDS) or 0) if base else 0


def _live(items: list[dict]) -> list[dict]:
    """The items a reader sums: a shard item flagged with a fold number the base has reached is in the base already."""
    base = next((item for item in items if is_base(item)), None)
    included = folds(base)
    live = []
    for item in items:
        number = None if is_base(item) else folded(item)
        if number is None or number > included:
            live.append(item)
    return live


def _sum(items: list[dict], reader) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for item in _live(items):
        for name, count in reader(item).items():
            total[name] += count
    return dict(total)


def summed(items: list[dict]) -> dict[str, int]:
    """A petition's counts per country from its items (the base item read first, as a Query returns it)."""
    return _sum(items, counts)


def summed_counters(items: list[dict]) -> dict[str, int]:
    """Countries and source buckets (as ``source:<bucket>``), summed (what reconcile compares)."""
    return _sum(items, counters)


def summed_sources(items: list[dict]) -> dict[str, int]:
    """A petition's counts per source bucket, summed like the countries."""
    return _sum(items, source_counts)


def recent(items: list[dict], limit: int = RECENT_SHOWN) -> list[dict[str, str]]:
    """The newest recent signature entries over the petition's live items, newest first."""
    entries = sorted((entry for item in _live(items) for entry in recent_entries(item).values() if entry),
                     reverse=True)
    out = []
    for entry in entries[:limit]:
        minute, country, bucket = (entry.split(" ", 2) + ["", ""])[:3]
        out.append({"minute": minute, "country": country, "source": bucket})
    return out


def sources_view(items: list[dict]) -> dict:
    """Campaigners' figures (admin only): signatures per source bucket and the latest signatures.

    Negative buckets (a removal counted whose arrival was not, or a signature
    stored before buckets were counted) are shown as none, like the countries.
    """
    by_source = {name: n for name, n in summed_sources(items).items() if n > 0}
    return {"by_source": dict(sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))),
            "recent": recent(items)}


def set_counts_arguments(petition_id: str, by_country: dict[str, int], updated_at: str) -> dict:
    """UpdateItem arguments that set the base item's counters outright (demo data and tests; the tally only ADDs)."""
    names = {f"#c{i}": country_attribute(code) for i, code in enumerate(by_country)}
    values = {":u": updated_at, **{f":c{i}": n for i, n in enumerate(by_country.values())}}
    expression = ", ".join([f"{UPDATED_AT} = :u"] + [f"#c{i} = :c{i}" for i in range(len(names))])
    arguments = {"Key": key(petition_id), "UpdateExpression": "SET " + expression,
                 "ExpressionAttributeValues": typed(values)}
    if names:
        arguments["ExpressionAttributeNames"] = names
    return arguments


def adding_counts(sets: list[str], names: dict, values: dict, by_country: Mapping[str, int],
                  by_source: Mapping[str, int] | None = None) -> str:
    """An UpdateExpression: the caller's SET clauses, then ADD of these counts to the item's counters.

    The one place a count is added to a totals item (the tally's batches and
    folds, the migration, the benchmarks' baseline). Its placeholders go into
    ``names`` and ``values``: ``#c<i>``/``:c<i>`` per country, ``#s<i>``/``:s<i>``
    per source bucket, so the caller's SET clauses use none of those. Zero
    counts are left out (there is nothing to add, and no attribute to make);
    the order is sorted, so the same counts give the same expression.
    """
    adds = []
    for prefix, attribute, counted in (("c", country_attribute, by_country), ("s", source_attribute, by_source or {})):
        for i, (name, n) in enumerate(sorted(counted.items())):
            if n:
                names[f"#{prefix}{i}"] = attribute(name)
                values[f":{prefix}{i}"] = n
                adds.append(f"#{prefix}{i} :{prefix}{i}")
    clauses = (["SET " + ", ".join(sets)] if sets else []) + (["ADD " + ", ".join(adds)] if adds else [])
    return " ".join(clauses)


# ---- reads and writes -----------------------------------------------------------

def ensure(petition_id: str, goal: int) -> None:
    """Create the petition's base item if missing, and keep its goal current."""
    clients.dynamodb().update_item(
        TableName=config.settings().totals_table,
        Key=key(petition_id),
        UpdateExpression=f"SET {GOAL} = :goal",
        ExpressionAttributeValues=typed({":goal": goal}),
    )


def petition_items(petition_id: str) -> list[dict]:
    """Every item of a petition, the base item first: one strongly consistent Query (more pages past 1 MB).

    Strongly consistent, so that each item is read as it is now, in key order:
    what makes a fold landing mid-read count once (see the module's docstring).
    """
    pages = clients.dynamodb().get_paginator("query").paginate(
        TableName=config.settings().totals_table,
        KeyConditionExpression="#p = :p",
        ExpressionAttributeNames={"#p": PETITION},
        ExpressionAttributeValues=typed({":p": petition_id}),
        ConsistentRead=True,
    )
    return [item for page in pages for item in page["Items"]]


# Reads of /totals are cached per container for a moment: with many viewers, a
# petition's items are read at most once per period per container. Bounded,
# like the petition cache: the oldest entry goes first.
CACHE_ENTRIES = 1000
_cache: OrderedDict[str, tuple[float, dict | None]] = caches.keep(OrderedDict())


def read(petition_id: str) -> dict | None:
    """The public totals of a petition, or None if it has no totals items (unknown)."""
    now = time.monotonic()
    hit = _cache.get(petition_id)
    if hit and hit[0] > now:
        return hit[1]
    items = petition_items(petition_id)
    figures = view(petition_id, items) if items else None
    seconds = config.settings().totals_cache_seconds
    if seconds > 0:
        _cache[petition_id] = (now + seconds, figures)
        _cache.move_to_end(petition_id)
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    return figures


def reset() -> None:
    """Forget every cached read."""
    _cache.clear()


def view(petition_id: str, items: list[dict]) -> dict:
    """The public figures. A country below zero is shown as none and counted in a metric.

    The tally can only go below zero when a signature's removal was counted but
    its arrival was not (a stream record given up on after its retries): never
    publish that, raise an alarm instead, and let ``make reconcile`` repair it.
    """
    stored = summed(items)
    negative = {country: count for country, count in stored.items() if count < 0}
    if negative:
        metrics.emit(metrics.NEGATIVE_COUNTRY_TOTALS, len(negative),
                     {"petition_id": petition_id, "countries": sorted(negative)})
    by_country = {country: count for country, count in stored.items() if count > 0}
    base = next((item for item in items if is_base(item)), {})
    stamps = [_plain(item[UPDATED_AT]) for item in items if UPDATED_AT in item]
    return {
        "petition_id": petition_id,
        "total": sum(by_country.values()),
        "by_country": dict(sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))),
        "goal": int(_plain(base[GOAL])) if GOAL in base else None,
        "updated_at": max(stamps) if stamps else None,
    }


def etag(body: dict) -> str:
    """A strong validator: the hash of exactly the bytes we send."""
    return '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
