"""Benchmarks of Countersign's paths, each against a baseline measured in the same run (dev only).

    python -m bench            # everything; writes docs/benchmarks.md (what `make bench` runs)
    python -m bench --quick    # tiny sizes, to check the code runs

Shared machines are noisy, so every figure is a count or a ratio against a
baseline measured side by side in the same run, with medians over repeats.
"""
