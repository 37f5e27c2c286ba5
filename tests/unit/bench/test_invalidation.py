"""The invalidation benchmark runs at a tiny size on moto: exactly the burst changes, beside its baseline."""
from bench import invalidation


def test_the_invalidation_benchmark_changes_exactly_the_burst_beside_a_plain_loop(tables):
    from bench.engine import new_petition

    section = invalidation.run(new_petition, signatures=30, repeats=1, paced=10)
    assert section.number == 15 and "plain UpdateItem loop" in section.headline
    assert section.data["per_second"] > 0 and section.data["baseline_per_second"] > 0
    assert len(section.rows) == 3 and all(row.ratio for row in section.rows)
