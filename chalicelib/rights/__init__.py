"""Signers' data rights and the campaign's hand-over: exports, erasure, access requests, retention.

- ``spreadsheet``: CSV that spreadsheets open safely, and JSON Lines (pure);
- ``export``: the three exports, streamed from a parallel Scan;
- ``delivery``: the deployed export operation (a private S3 bucket and a link that expires);
- ``erasure``: removing one signer, by the signer's own link or by the operator, with a record;
- ``access``: everything held for one address, for a subject access request;
- ``retention``: anonymising the signatures of petitions closed long enough ago.
"""
