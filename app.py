"""Countersign: the routes and the stream handler. The logic lives in chalicelib/."""
import logging
import os

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib import (
    front_door,
    intake,
    pages,
    petitions,
    responses,
    security_headers,
    stream_tally,
    submission,
    totals,
)
from chalicelib.intake import OutcomeKind

app = Chalice(app_name="countersign")
# Lambda's root logger only shows warnings; our modules log one line per
# signature or batch, never personal data.
logging.getLogger("chalicelib").setLevel(logging.INFO)
app.register_middleware(security_headers.middleware, "http")  # CSP, nosniff and the rest, on every answer
app.register_middleware(front_door.middleware, "http")  # behind CloudFront, refuse what went around it

FORM_AND_JSON = ["*/*"]  # every type reaches the handler, which answers 415 in our own words


@app.route("/petitions/{petition_id}", methods=["GET"])
def petition_info(petition_id):
    petition = petitions.load(petition_id)
    if petition is None:
        return responses.error(404, "There is no petition with this id.")
    return responses.json_response(200, petitions.public_view(petition))


@app.route("/petitions/{petition_id}/signatures", methods=["POST"], content_types=FORM_AND_JSON)
def sign(petition_id):
    request = _request()
    outcome = intake.receive(petition_id, request.raw_body, request.headers.get("content-type"))
    if outcome.media_type == submission.FORM and not responses.wants_json(request.headers.get("accept")):
        return _form_reply(outcome, responses.stage_prefix(request), request.headers.get("accept", ""))
    cors = responses.cors_for_allowed(request.headers.get("origin"))
    if outcome.kind == OutcomeKind.ACCEPTED:
        return responses.json_response(outcome.status, {"status": "received", "petition_id": petition_id}, cors)
    if outcome.kind == OutcomeKind.INVALID:
        return responses.json_response(outcome.status, {"errors": outcome.errors}, cors)
    return responses.error(outcome.status, outcome.message, cors)


def _form_reply(outcome: intake.Outcome, prefix: str, accept: str) -> Response:
    petition = outcome.petition
    if outcome.kind == OutcomeKind.ACCEPTED and petition is not None:
        return responses.see_other(petition.thanks_url or f"{prefix}/petitions/{petition.petition_id}/thanks")
    if outcome.kind == OutcomeKind.INVALID and petition is not None:
        page = pages.sign_page(petitions.public_view(petition), prefix,
                               fields=outcome.fields, errors=outcome.errors)
        return responses.html(outcome.status, page, security_headers.for_petition_page(petition.thanks_url))
    if "text/html" in accept:
        page = pages.render("message.html", heading="We couldn't take your signature", message=outcome.message)
        return responses.html(outcome.status, page)
    return responses.error(outcome.status, outcome.message)


@app.route("/petitions/{petition_id}/signatures", methods=["OPTIONS"])
def sign_preflight(petition_id):
    if not petitions.valid_id(petition_id):  # no read: an id of the wrong shape names no petition
        return responses.error(404, "There is no petition with this id.")
    return responses.preflight(_request().headers.get("origin"), "POST, OPTIONS")


@app.route("/", methods=["GET"])
def index_page():
    open_petitions = [petitions.public_view(p) for p in petitions.list_open()]
    return responses.html(200, pages.index_page(open_petitions, responses.stage_prefix(_request())))


@app.route("/petitions/{petition_id}/sign", methods=["GET"])
def sign_page(petition_id):
    request = _request()
    headers = request.headers
    source = request.query_params.get("source") if request.query_params else None
    country = pages.likely_country(headers.get("cloudfront-viewer-country"), headers.get("accept-language"))
    response = _petition_page(petition_id, lambda petition, prefix, share_url: pages.sign_page(
        petition, prefix, country=country, figures=totals.read(petition_id), share_url=share_url,
        fields={"source": source} if source else None))
    # The preselected country depends on these: a cache in front must key on them.
    response.headers["Vary"] = "CloudFront-Viewer-Country, Accept-Language"
    return response


@app.route("/petitions/{petition_id}/thanks", methods=["GET"])
def thanks_page(petition_id):
    return _petition_page(petition_id, lambda petition, prefix, share_url: pages.thanks_page(
        petition, prefix, figures=totals.read(petition_id), share_url=share_url))


@app.route("/petitions/{petition_id}/dashboard", methods=["GET"])
def dashboard_page(petition_id):
    return _petition_page(petition_id, lambda petition, prefix, share_url: pages.dashboard_page(
        petition, prefix, figures=totals.read(petition_id)))


def _request() -> Request:
    """The request being handled (Chalice sets it for the duration of every route)."""
    request = app.current_request
    if request is None:
        raise RuntimeError("no request is being handled")
    return request


def _petition_page(petition_id, render):
    """Load the petition (404 page if none) and render one of its pages."""
    request = _request()
    prefix = responses.stage_prefix(request)
    petition = petitions.load(petition_id)
    if petition is None:
        return responses.html(404, pages.not_found(prefix))
    share_url = f"{pages.base_url(request.headers, prefix)}/petitions/{petition_id}/sign"
    return responses.html(200, render(petitions.public_view(petition), prefix, share_url),
                          security_headers.for_petition_page(petition.thanks_url))


@app.route("/privacy", methods=["GET"])
def privacy_page():
    return responses.html(200, pages.privacy_page(responses.stage_prefix(_request())))


@app.route("/static/{name}", methods=["GET"])
def static_file(name):
    found = pages.asset(name)
    if found is None:
        return responses.error(404, "There is no such file.")
    return Response(body=found.body, status_code=200,
                    headers={"Content-Type": found.content_type, "Cache-Control": pages.STATIC_CACHE})


@app.route("/petitions/{petition_id}/totals", methods=["GET"])
def petition_totals(petition_id):
    figures = totals.read(petition_id) if petitions.valid_id(petition_id) else None
    if figures is None:
        return responses.error(404, "There is no petition with this id.", responses.PUBLIC)
    return responses.cacheable_json(figures, totals.etag(figures), _request().headers.get("if-none-match"))


PLACEHOLDER_STREAM_ARN = ("arn:aws:dynamodb:us-east-1:000000000000:table/countersign-signatures"
                          "/stream/set-by-merge-template")


# The deployed stream wiring (the table's StreamArn, batch size and window,
# partial-batch failures, bisect, retries, record age, failure queue) lives in
# infra/resources.json, merged over what this decorator generates.
@app.on_dynamodb_record(
    stream_arn=os.environ.get("SIGNATURES_STREAM_ARN", PLACEHOLDER_STREAM_ARN),
    starting_position="TRIM_HORIZON",
)
def on_signature_change(event):
    return stream_tally.handle(event.to_dict())
