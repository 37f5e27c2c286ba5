"""OSDI (Open Supporter Data Interface): the petition as an OSDI resource and its record-signature helper, which
goes through the same intake as the sign route."""
