"""The benchmarks run on tiny sizes and count what they should (counts only: no timings asserted)."""
from __future__ import annotations

import pytest

from bench import counter_writes, replay, sign_cost, tally_cpu
from bench.population import Population, RecordBuilder, event


@pytest.fixture
def new_petition(tables):
    from bench.engine import new_petition

    return new_petition


@pytest.fixture
def handler(tables):
    from tools.stream_consumers import app_handler
    on_signature_change = app_handler("tally")

    return lambda e: on_signature_change(e, None)


def test_population_pins_a_country_and_counts_what_it_draws():
    population = Population(5000, pinned={"GB": 85}, seed=1)
    drawn = [c for batch in population.countries(batch=1000) for c in batch]
    assert len(drawn) == 5000
    assert drawn.count("GB") == population.counts["GB"] == 85
    assert sum(population.counts.values()) == 5000
    assert len(population.counts) > 50


def test_records_are_lambda_stream_records_the_tally_reads():
    from chalicelib.tally import stream_tally

    records = RecordBuilder("p1").records(["GB", "FR", "GB"])
    effects = [stream_tally.effect_of(r) for r in records]
    assert [e.deltas for e in effects] == [{("p1", "GB"): 1}, {("p1", "FR"): 1}, {("p1", "GB"): 1}]
    assert [int(r["dynamodb"]["SequenceNumber"]) for r in records] == sorted({e.sequence for e in effects})
    assert event(records)["shardId"]


def test_sign_path_makes_one_request_per_accepted_signature(client, new_petition):
    section = sign_cost.run(client, new_petition, n=5, duplicates=2)
    assert section.data["requests_per_signature"] == 1
    assert section.data["naive_requests_per_signature"] == 2


def test_counter_writes_are_one_per_batch(handler, new_petition):
    section = counter_writes.run(handler, new_petition, records_per_run=40, batch_sizes=(1, 40))
    assert section.data[1]["writes"] == 1000  # per 1,000 records
    assert section.data[40]["writes"] == 25
    assert section.data[1]["baseline_writes"] == section.data[40]["baseline_writes"] == 1000


def test_replay_totals_match_the_generated_data(handler, new_petition):
    section = replay.run(handler, new_petition, signatures=3000, gb=85, repeats=2, baseline_records=200)
    assert section.data["writes"] == 3
    assert section.data["exact"]


def test_tally_cpu_runs():
    section = tally_cpu.run(records=2000, repeats=1)
    assert section.data["records_per_second"] > 0


def test_verified_signatures_cost_four_more_requests_and_two_more_writes(client, new_petition):
    from tools.stream_consumers import app_handler
    send_verification_mail = app_handler("mailer")
    from bench import verified_cost

    section = verified_cost.run(client, new_petition, lambda e: send_verification_mail(e, None), n=4,
                                throughput_n=3)
    steps = section.data["steps"]
    assert {name: s["requests"] for name, s in steps.items()} == {
        "one-write sign": 1, "sign": 1, "mail claim": 1, "confirm page": 1, "confirm": 2}  # + the totals shown
    assert section.data["requests"] == 5 and section.data["base_requests"] == 1
    assert section.data["writes"] == 3
    assert section.data["mails"] == 4
    assert section.data["throughput"]["mails"] == 3 and section.data["throughput"]["delivered"] == 6
    assert section.data["extra_cost"] > 100  # SES's $0.10 per 1,000 messages alone is $100 per million


def test_sharded_counter_figures_at_a_few_shards(handler, new_petition):
    from bench import shards

    section = shards.run(handler, new_petition, shard_counts=(1, 3), batch=50)
    results = section.data["results"]
    assert [results[n]["items"] for n in (1, 3)] == [2, 4]  # the base item and one item per shard
    assert all(r["write_requests"] == 1 and r["read_requests"] == 1 for r in results.values())
    assert results[3]["largest_item"] < results[3]["baseline_item"]  # the single item carries every shard's mark


def test_the_export_benchmark_streams_every_row_of_its_petition_and_no_other(new_petition):
    """The 1.1 million-row export's smoke test: a small size, the same code, rows checked against the fill."""
    from bench import export_scale

    section = export_scale.run(new_petition, signatures=600, segments=3, workers=2)
    assert section.data["rows"] == 600
    assert section.data["peak"] > 0 and section.data["baseline_peak"] > 0
    assert len(section.rows) == 3
