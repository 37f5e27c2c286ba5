"""Fraud and abuse controls: who sent a signature (privately), blocklists, disposable
addresses, trending detection in the tally, and invalidation that the totals follow."""
