"""Counting: the stream handler that keeps the totals exact (stream_tally.py); the totals are read in petitions/."""
from __future__ import annotations

from chalicelib.aws import config
from chalicelib.tally import stream_tally
from chalicelib.web.routing import Routes

routes = Routes(__name__)



# The deployed stream wiring (the table's StreamArn, batch size and window, partial-batch failures, bisect,
# retries, record age, failure queue) lives in infra/resources.json, merged over what this decorator generates.
@routes.on_dynamodb_record(stream_arn=config.SIGNATURES_STREAM_ARN, starting_position="TRIM_HORIZON")
def on_signature_change(event):
    return stream_tally.handle(event.to_dict(), event.context)  # the context tells the time left
