"""Verified signatures and the campaign-updates opt-in: the mailed links' pages and the mailer on the stream.

GET shows a page with one button (mail scanners follow links); its POST acts.
"""
from __future__ import annotations

from chalicelib.aws import config
from chalicelib.verification import confirm, mailer, updates_views, views
from chalicelib.web import bodies
from chalicelib.web.routing import ANY, Routes

routes = Routes(__name__)


@routes.route("/petitions/{petition_id}/confirm", methods=["GET"])
def confirm_page(petition_id):
    return views.reply(confirm.inspect(petition_id, routes.token()), routes.prefix(), as_json=False)


@routes.route("/petitions/{petition_id}/confirm", methods=["POST"], content_types=ANY)
def confirm_signature(petition_id):
    return _confirm_action(petition_id, confirm.confirm)


@routes.route("/petitions/{petition_id}/confirm/resend", methods=["POST"], content_types=ANY)
def resend_confirmation(petition_id):
    return _confirm_action(petition_id, confirm.resend)


def _confirm_action(petition_id, action):
    request = routes.request
    content_type = request.headers.get("content-type")
    token, unreadable = confirm.token_from_body(request.raw_body, content_type)
    outcome = unreadable or action(petition_id, token)
    return views.reply(outcome, routes.prefix(), as_json=bodies.media_type(content_type) == bodies.JSON)


# ---- campaign updates without verification: the opt-in mail's link (updates.py) ----

@routes.route("/petitions/{petition_id}/updates/confirm", methods=["GET"])
@routes.outage_page
def updates_link(petition_id):
    return updates_views.link_page(petition_id, routes.prefix(), routes.token())


@routes.route("/petitions/{petition_id}/updates/confirm", methods=["POST"], content_types=ANY)
@routes.outage_page
def updates_confirm(petition_id):
    request = routes.request
    return updates_views.link_use(petition_id, routes.prefix(), request.raw_body, request.headers.get("content-type"))


# The second reader of the signatures stream: sends the mail that pending signatures and the updates opt-in
# ask for. Its wiring (filter, failure queue, retries) is in infra/resources.json.
@routes.on_dynamodb_record(stream_arn=config.SIGNATURES_STREAM_ARN, starting_position="TRIM_HORIZON", batch_size=25)
def send_verification_mail(event):
    return mailer.handle(event.to_dict())
