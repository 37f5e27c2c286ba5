"""Data rights: "Remove my signature" (ask for a link, then its page's button deletes), the export operation
and the daily retention run."""
from __future__ import annotations

from chalice import Rate

from chalicelib.rights import delivery, retention, views
from chalicelib.web.routing import ANY, Routes

routes = Routes(__name__)


@routes.route("/petitions/{petition_id}/remove", methods=["GET"])
@routes.outage_page
def removal_form(petition_id):
    return views.form(petition_id, routes.prefix())


@routes.route("/petitions/{petition_id}/remove", methods=["POST"], content_types=ANY)
@routes.outage_page
def removal_request(petition_id):
    request = routes.request
    return views.request(petition_id, routes.prefix(), request.raw_body, request.headers.get("content-type"))


@routes.route("/petitions/{petition_id}/remove/confirm", methods=["GET"])
@routes.outage_page
def removal_link(petition_id):
    return views.link_page(petition_id, routes.prefix(), routes.token())


@routes.route("/petitions/{petition_id}/remove/confirm", methods=["POST"], content_types=ANY)
@routes.outage_page
def removal_use(petition_id):
    request = routes.request
    return views.link_use(petition_id, routes.prefix(), request.raw_body, request.headers.get("content-type"))


# The export operation: its bucket, role and limits are in infra/resources.json.
@routes.lambda_function(name="export")
def export_operation(event, context):
    return delivery.handle(event)


# Retention: daily, anonymise the signatures of petitions closed long enough ago
# (RETENTION_DAYS, or the petition's own period).
@routes.schedule(Rate(1, unit=Rate.DAYS), name="retention")
def retention_schedule(event):
    return retention.handle(event.to_dict(), event.context)
