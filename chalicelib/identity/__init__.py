"""Who a signer is, privately: the canonical form of an email address and its keyed hash (the one signature per
person per petition rests on it), with the hash's secret."""
