"""Counting: the DynamoDB-stream consumer that keeps the totals exact although records arrive at least once
(``stream_tally``), and the one owner of the totals items' layout (``totals``)."""
