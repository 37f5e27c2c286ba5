"""The fraud benchmark runs at a tiny size and reports the detector's cost beside the tally's."""
from bench import fraud


def test_the_fraud_benchmark_measures_the_detector_beside_the_tally():
    section = fraud.run(records=2000, repeats=1, batch=500)
    assert section.data["detector_us"] > 0 and section.data["tally_us"] > 0
    assert "µs per record" in section.headline and section.number == 14
