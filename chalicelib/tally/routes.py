"""Counting: the totals the dashboard polls, and the stream handler that keeps them exact."""
from __future__ import annotations

from chalicelib.aws import config
from chalicelib.i18n import gettext as _
from chalicelib.petitions import figures
from chalicelib.tally import stream_tally, totals
from chalicelib.web import outages, responses
from chalicelib.web.routing import Routes

routes = Routes(__name__)



@routes.route("/petitions/{petition_id}/totals", methods=["GET"])
@outages.json
def petition_totals(petition_id):
    found = figures.of_id(petition_id)
    if found is None:
        return responses.error(404, _("There is no petition with this id."), responses.PUBLIC)
    return responses.cacheable_json(found, totals.etag(found), routes.request.headers.get("if-none-match"))


# The deployed stream wiring (the table's StreamArn, batch size and window, partial-batch failures, bisect,
# retries, record age, failure queue) lives in infra/resources.json, merged over what this decorator generates.
@routes.on_dynamodb_record(stream_arn=config.SIGNATURES_STREAM_ARN, starting_position="TRIM_HORIZON")
def on_signature_change(event):
    return stream_tally.handle(event.to_dict(), event.context)  # the context tells the time left
