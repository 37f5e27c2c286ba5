"""6. Freshness: placeholder until the local stack is wired in."""
from .report import Section


def run(n, rate):
    return Section(6, "Freshness")
