"""Countersign: the routes and the stream handler. The logic lives in chalicelib/."""
import logging
import os

from chalice import Chalice, Rate, Response
from chalice.app import Request

from chalicelib.admin import exports as admin_exports
from chalicelib.admin import fraud_views as admin_fraud
from chalicelib.admin import web as admin
from chalicelib.aws import config
from chalicelib.fraud import identity
from chalicelib.i18n import countries
from chalicelib.i18n import gettext as _
from chalicelib.i18n import web as languages
from chalicelib.osdi import resources
from chalicelib.petitions import catalog, targets
from chalicelib.rights import delivery, retention
from chalicelib.rights import views as removal
from chalicelib.sharing import badge, card, embed
from chalicelib.signing import intake, submission
from chalicelib.signing.intake import OutcomeKind
from chalicelib.tally import stream_tally, totals
from chalicelib.verification import confirm, mailer, updates_views, views
from chalicelib.web import origin_guard, outages, pages, responses, security_headers

app = Chalice(app_name="countersign")
# Lambda's root logger only shows warnings; our modules log one line per
# signature or batch, never personal data.
logging.getLogger("chalicelib").setLevel(logging.INFO)
app.api.binary_types.append("image/png")  # the share card
app.register_middleware(security_headers.middleware, "http")  # CSP, nosniff and the rest, on every answer
app.register_middleware(origin_guard.middleware, "http")  # behind CloudFront, refuse what went around it

FORM_AND_JSON = ["*/*"]  # every type reaches the handler, which answers 415 in our own words
# Read routes answer a 503 (not Chalice's bare 500) when storage fails; see chalicelib/web/outages.py.
storage_outage_page = outages.page(lambda: responses.stage_prefix(_request()))


@app.middleware("http")
def in_their_language(request, get_response):
    """Every route answers in the request's language (?lang=, the switcher's cookie, Accept-Language)."""
    return languages.around(request, get_response, responses.stage_prefix(request))


@app.route("/petitions/{petition_id}", methods=["GET"])
@outages.json
def petition_info(petition_id):
    petition = catalog.load(petition_id)
    if petition is None:
        return responses.error(404, _("There is no petition with this id."))
    return responses.json_response(200, catalog.public_view(petition))


@app.route("/petitions/{petition_id}/signatures", methods=["POST"], content_types=FORM_AND_JSON)
def sign(petition_id):
    request = _request()
    outcome = intake.receive(petition_id, request.raw_body, request.headers.get("content-type"),
                             client=identity.of_request(request))
    as_form = outcome.media_type == submission.FORM and not responses.wants_json(request.headers.get("accept"))
    if as_form and embed.FLAG in _query(request):
        return _embed_reply(outcome, responses.stage_prefix(request))
    if as_form:
        return _form_reply(outcome, responses.stage_prefix(request), request.headers.get("accept", ""))
    cors = responses.cors_for_allowed(request.headers.get("origin"))
    if outcome.kind == OutcomeKind.ACCEPTED:
        return responses.json_response(outcome.status, {"status": "received", "petition_id": petition_id,
                                                        "confirmation_required": outcome.confirmation_required}, cors)
    if outcome.kind == OutcomeKind.INVALID:
        return responses.json_response(outcome.status, {"errors": outcome.errors}, cors)
    return responses.error(outcome.status, outcome.message, cors)


def _form_reply(outcome: intake.Outcome, prefix: str, accept: str) -> Response:
    petition = outcome.petition
    if outcome.kind == OutcomeKind.ACCEPTED and petition is not None:
        return responses.see_other(petition.thanks_url or pages.thanks_path(prefix, petition.petition_id))
    if outcome.kind == OutcomeKind.INVALID and petition is not None:
        page = pages.sign_page(catalog.public_view(petition), prefix,
                               fields=outcome.fields, errors=outcome.errors)
        policy = security_headers.for_petition_page(petition.thanks_url, petition.image_url, bool(petition.challenge))
        return responses.html(outcome.status, page, cache=responses.NO_STORE, headers=policy)
    if "text/html" in accept:
        page = pages.render("message.html", heading=_("We couldn't take your signature"),
                            message=outcome.message)
        return responses.html(outcome.status, page, cache=responses.NO_STORE)
    return responses.error(outcome.status, outcome.message)


def _embed_reply(outcome: intake.Outcome, prefix: str) -> Response:
    """The embed's form post: its answers stay inside the partner's frame."""
    petition = outcome.petition
    if petition is None:
        return _form_reply(outcome, prefix, "text/html")
    allowed = security_headers.for_embed_page(petition.embed_origins or [], petition.image_url,
                                              bool(petition.challenge))
    if outcome.kind == OutcomeKind.ACCEPTED:
        return responses.see_other(embed.path(prefix, petition.petition_id, signed="1"), allowed)
    page = embed.page(catalog.public_view(petition), prefix, fields=outcome.fields, errors=outcome.errors)
    return responses.html(outcome.status, page, cache=responses.NO_STORE, headers=allowed)


@app.route("/petitions/{petition_id}/signatures", methods=["OPTIONS"])
def sign_preflight(petition_id):
    if not catalog.valid_id(petition_id):  # no read: an id of the wrong shape names no petition
        return responses.error(404, "There is no petition with this id.")
    return responses.preflight(_request().headers.get("origin"), "POST, OPTIONS")


@app.route("/", methods=["GET"])
@storage_outage_page
def index_page():
    open_petitions = [catalog.public_view(p) for p in catalog.list_open()]
    return responses.html(200, pages.index_page(open_petitions, responses.stage_prefix(_request())),
                          cache=responses.SHARED_PAGE_CACHE)


@app.route("/petitions/{petition_id}/sign", methods=["GET"])
@storage_outage_page
def sign_page(petition_id):
    request = _request()
    headers = request.headers
    source = request.query_params.get("source") if request.query_params else None
    country = pages.likely_country(headers.get("cloudfront-viewer-country"), headers.get("accept-language"))
    response = _petition_page(petition_id, responses.SHARED_PAGE_CACHE, lambda petition, prefix, share_url:
                              pages.sign_page(petition, prefix, country=country, figures=_figures(petition),
                                              share_url=share_url, fields={"source": source} if source else None),
                              form_page=True)
    # The preselected country depends on these: a cache in front must key on them.
    response.headers["Vary"] = responses.SIGN_PAGE_VARY
    return response


@app.route("/petitions/{petition_id}/thanks", methods=["GET"])
@storage_outage_page
def thanks_page(petition_id):
    return _petition_page(petition_id, responses.NO_STORE, lambda petition, prefix, share_url: pages.thanks_page(
        petition, prefix, figures=_figures(petition), share_url=share_url,
        embed_snippet=embed.snippet(petition_id, petition["title"])))


@app.route("/petitions/{petition_id}/dashboard", methods=["GET"])
@storage_outage_page
def dashboard_page(petition_id):
    return _petition_page(petition_id, responses.DASHBOARD_CACHE, lambda petition, prefix, share_url:
                          pages.dashboard_page(petition, prefix, figures=_figures(petition)))


def _figures(petition: dict) -> dict | None:
    """The petition's public totals, with which countries reached their targets."""
    figures = totals.read(petition["petition_id"])
    return None if figures is None else targets.with_targets(figures, petition["country_targets"])


def _totals_of(petition_id: str) -> dict | None:
    """The totals response: None for no petition or a draft (its configuration is cached, like the sign path's)."""
    petition = catalog.load(petition_id)
    figures = totals.read(petition_id) if petition is not None else None
    if petition is None or figures is None:
        return None
    return targets.with_targets(figures, catalog.targets_of(petition))


def _query(request: Request) -> dict[str, str]:
    return dict(request.query_params or {})


def _request() -> Request:
    """The request being handled (Chalice sets it for the duration of every route)."""
    request = app.current_request
    if request is None:
        raise RuntimeError("no request is being handled")
    return request


def _petition_page(petition_id, cache, render, form_page=False):
    """Load the petition (404 page if none) and render one of its pages, cached as ``cache`` says.

    ``form_page``: the page with the sign form, which loads the challenge's widget when the petition has it on.
    """
    request = _request()
    prefix = responses.stage_prefix(request)
    petition = catalog.load(petition_id)
    if petition is None:
        return responses.html(404, pages.not_found(prefix), cache=responses.NO_STORE)
    policy = security_headers.for_petition_page(petition.thanks_url, petition.image_url,
                                                form_page and bool(petition.challenge))
    return responses.html(200, render(catalog.public_view(petition), prefix, pages.share_url(petition_id)),
                          cache=cache, headers=policy)


@app.route("/privacy", methods=["GET"])
def privacy_page():
    return responses.html(200, pages.privacy_page(responses.stage_prefix(_request())), cache=responses.PRIVACY_CACHE)


@app.route("/static/{name}", methods=["GET"])
def static_file(name):
    found = pages.asset(name)
    if found is None:
        return responses.error(404, _("There is no such file."))
    return Response(body=found.body, status_code=200,
                    headers={"Content-Type": found.content_type, "Cache-Control": pages.STATIC_CACHE})


# ---- confirmation links (petitions that require verification) ----
# GET shows a page with one button (mail scanners follow links); its POST confirms.

@app.route("/petitions/{petition_id}/confirm", methods=["GET"])
def confirm_page(petition_id):
    request = _request()
    token = request.query_params.get("token", "") if request.query_params else ""
    return _confirm_reply(confirm.inspect(petition_id, token), as_json=False)


@app.route("/petitions/{petition_id}/confirm", methods=["POST"], content_types=FORM_AND_JSON)
def confirm_signature(petition_id):
    return _confirm_action(petition_id, confirm.confirm)


@app.route("/petitions/{petition_id}/confirm/resend", methods=["POST"], content_types=FORM_AND_JSON)
def resend_confirmation(petition_id):
    return _confirm_action(petition_id, confirm.resend)


def _confirm_action(petition_id, action) -> Response:
    request = _request()
    content_type = request.headers.get("content-type")
    token, unreadable = confirm.token_from_body(request.raw_body, content_type)
    outcome = unreadable or action(petition_id, token)
    return _confirm_reply(outcome, as_json=submission.media_type(content_type) == submission.JSON)


def _confirm_reply(outcome: confirm.Outcome, as_json: bool) -> Response:
    if as_json:
        return responses.json_response(outcome.status, views.json_body(outcome), views.HEADERS)
    return responses.html(outcome.status, views.page(outcome, responses.stage_prefix(_request())),
                          cache=responses.NO_STORE, headers=views.HEADERS)


# ---- campaign updates without verification: the opt-in mail's link (chalicelib/verification/updates.py) ----

@app.route("/petitions/{petition_id}/updates/confirm", methods=["GET"])
@storage_outage_page
def updates_link(petition_id):
    request = _request()
    token = request.query_params.get("token", "") if request.query_params else ""
    return updates_views.link_page(petition_id, responses.stage_prefix(request), token)


@app.route("/petitions/{petition_id}/updates/confirm", methods=["POST"], content_types=FORM_AND_JSON)
@storage_outage_page
def updates_confirm(petition_id):
    request = _request()
    return updates_views.link_use(petition_id, responses.stage_prefix(request), request.raw_body,
                                  request.headers.get("content-type"))


# ---- "Remove my signature": ask for a link, then its page's button deletes (chalicelib/rights/erasure.py) ----

@app.route("/petitions/{petition_id}/remove", methods=["GET"])
@storage_outage_page
def removal_form(petition_id):
    return removal.form(petition_id, responses.stage_prefix(_request()))


@app.route("/petitions/{petition_id}/remove", methods=["POST"], content_types=FORM_AND_JSON)
@storage_outage_page
def removal_request(petition_id):
    request = _request()
    return removal.request(petition_id, responses.stage_prefix(request), request.raw_body,
                           request.headers.get("content-type"))


@app.route("/petitions/{petition_id}/remove/confirm", methods=["GET"])
@storage_outage_page
def removal_link(petition_id):
    request = _request()
    token = request.query_params.get("token", "") if request.query_params else ""
    return removal.link_page(petition_id, responses.stage_prefix(request), token)


@app.route("/petitions/{petition_id}/remove/confirm", methods=["POST"], content_types=FORM_AND_JSON)
@storage_outage_page
def removal_use(petition_id):
    request = _request()
    return removal.link_use(petition_id, responses.stage_prefix(request), request.raw_body,
                            request.headers.get("content-type"))


@app.route("/petitions/{petition_id}/totals", methods=["GET"])
@outages.json
def petition_totals(petition_id):
    figures = _totals_of(petition_id)
    if figures is None:
        return responses.error(404, _("There is no petition with this id."), responses.PUBLIC)
    return responses.cacheable_json(figures, totals.etag(figures), _request().headers.get("if-none-match"))


# ---- embeds and sharing (chalicelib/sharing/) ----

@app.route("/petitions/{petition_id}/embed", methods=["GET"])
@storage_outage_page
def embed_form(petition_id):
    request = _request()
    prefix = responses.stage_prefix(request)
    petition = catalog.load(petition_id)
    if petition is None:
        return responses.html(404, pages.not_found(prefix), cache=responses.NO_STORE)
    view = catalog.public_view(petition)
    signed = _query(request).get("signed") == "1"
    page = embed.page(view, prefix, signed=signed, total=(_figures(view) or {}).get("total"),
                      fields={"source": _query(request).get("source", "")})
    return responses.html(200, page, cache=responses.NO_STORE if signed else responses.SHARED_PAGE_CACHE,
                          headers=security_headers.for_embed_page(petition.embed_origins or [], petition.image_url,
                                                                  bool(petition.challenge) and not signed))


@app.route("/petitions/{petition_id}/badge.svg", methods=["GET"])
@outages.json
def petition_badge(petition_id):
    request = _request()
    asked = _query(request).get("country")  # present but empty is a mistake too, not "no country"
    country = asked.strip().upper() if asked is not None else None
    if country is not None and not countries.is_country(country):
        return responses.error(400, _("Give a country as its two-letter code, like GB."), responses.PUBLIC)
    petition, figures = catalog.load(petition_id), _totals_of(petition_id)
    if petition is None or figures is None:
        return responses.error(404, _("There is no petition with this id."), responses.PUBLIC)
    body = badge.svg(catalog.public_view(petition), figures, country)
    return responses.cacheable(body, "image/svg+xml; charset=utf-8", badge.etag(body),
                               request.headers.get("if-none-match"))


@app.route("/petitions/{petition_id}/card.png", methods=["GET"])
@outages.json
def share_card(petition_id):
    """The share card's image: drawn at most once a minute (chalicelib/sharing/card.py)."""
    petition, figures = catalog.load(petition_id), _totals_of(petition_id)
    if petition is None or figures is None:
        return responses.error(404, _("There is no petition with this id."), responses.PUBLIC)
    drawn = card.card(catalog.public_view(petition), int(figures["total"]))
    response = responses.cacheable(drawn.png, "image/png", drawn.etag, _request().headers.get("if-none-match"))
    response.headers["Cache-Control"] = card.CACHE
    return response


# ---- OSDI (chalicelib/osdi/resources.py): the petition resource and its record-signature helper ----

@app.route("/osdi/v1/petitions/{petition_id}", methods=["GET"])
@outages.json
def osdi_petition(petition_id):
    petition, figures = catalog.load(petition_id), _totals_of(petition_id)
    if petition is None or figures is None:
        return responses.error(404, _("There is no petition with this id."))
    base = config.settings().public_base_url or responses.stage_prefix(_request())
    body = resources.petition_resource(catalog.public_view(petition), int(figures["total"]), base)
    return responses.json_response(200, body, {"Content-Type": resources.MEDIA_TYPE})


@app.route("/osdi/v1/petitions/{petition_id}/signatures", methods=["POST"], content_types=FORM_AND_JSON)
def osdi_record_signature(petition_id):
    request = _request()
    try:
        fields = resources.signature_fields(request.raw_body, request.headers.get("content-type"))
    except submission.BodyError as problem:
        return responses.error(problem.status, problem.translated())
    outcome = intake.receive(petition_id, resources.as_json(fields), "application/json")
    if outcome.kind == OutcomeKind.ACCEPTED:
        base = config.settings().public_base_url or responses.stage_prefix(request)
        return responses.json_response(202, {
            "status": "received", "confirmation_required": outcome.confirmation_required,
            "_links": {"osdi:petition": {"href": f"{base}/osdi/v1/petitions/{petition_id}"}}},
            {"Content-Type": resources.MEDIA_TYPE})
    if outcome.kind == OutcomeKind.INVALID:
        return responses.json_response(outcome.status, {"errors": outcome.errors})
    return responses.error(outcome.status, outcome.message)


# ---- the admin area: pages, then the JSON API (chalicelib/admin/web.py; never cached) ----
FORM = ["application/x-www-form-urlencoded"]
JSON = ["application/json"]


@app.route("/admin/sign-in", methods=["GET"])
def admin_sign_in_form():
    return admin.sign_in_form(_request())


@app.route("/admin/sign-in", methods=["POST"], content_types=FORM)
def admin_sign_in_request():
    return admin.sign_in_request(_request())


@app.route("/admin/sign-in/{token}", methods=["GET"])
def admin_sign_in_link(token):
    return admin.link_page(_request(), token)


@app.route("/admin/sign-in/{token}", methods=["POST"], content_types=FORM)
def admin_sign_in_use(token):
    return admin.link_use(_request(), token)


@app.route("/admin/sign-out", methods=["POST"], content_types=FORM)
def admin_sign_out():
    return admin.sign_out(_request())


@app.route("/admin", methods=["GET"])
def admin_home():
    return admin.home(_request())


@app.route("/admin/new", methods=["GET"])
def admin_new_petition():
    return admin.new_form(_request())


@app.route("/admin/petitions", methods=["POST"], content_types=FORM)
def admin_create_petition():
    return admin.create(_request())


@app.route("/admin/petitions/{petition_id}", methods=["GET"])
def admin_petition(petition_id):
    return admin.petition_page(_request(), petition_id)


@app.route("/admin/petitions/{petition_id}", methods=["POST"], content_types=FORM)
def admin_update_petition(petition_id):
    return admin.update(_request(), petition_id)


@app.route("/admin/petitions/{petition_id}/edit", methods=["GET"])
def admin_edit_petition(petition_id):
    return admin.edit_form(_request(), petition_id)


@app.route("/admin/petitions/{petition_id}/status", methods=["POST"], content_types=FORM)
def admin_petition_status(petition_id):
    return admin.change_status(_request(), petition_id)


@app.route("/admin/petitions/{petition_id}/erase", methods=["POST"], content_types=FORM)
def admin_erase_signer(petition_id):
    return admin.erase_signer(_request(), petition_id)


@app.route("/admin/petitions/{petition_id}/invalidation/preview", methods=["POST"], content_types=FORM)
def admin_invalidation_preview(petition_id):
    return admin_fraud.preview(_request(), petition_id)


@app.route("/admin/petitions/{petition_id}/invalidation/apply", methods=["POST"], content_types=FORM)
def admin_invalidation_apply(petition_id):
    return admin_fraud.apply(_request(), petition_id)


@app.route("/admin/petitions/{petition_id}/exports", methods=["POST"], content_types=FORM)
def admin_start_export(petition_id):
    return admin_exports.start(_request(), petition_id)


@app.route("/admin/petitions/{petition_id}/exports/{name}", methods=["GET"])
def admin_export_file(petition_id, name):
    return admin_exports.fetch(_request(), petition_id, name)


@app.route("/admin/preview", methods=["POST"], content_types=FORM)
def admin_preview():
    return admin.preview(_request())


@app.route("/admin/audit", methods=["GET"])
def admin_audit():
    return admin.audit_page(_request())


@app.route("/admin/api/session", methods=["GET"])
def admin_api_session():
    return admin.api_session(_request())


@app.route("/admin/api/petitions", methods=["GET"])
def admin_api_petitions():
    return admin.api_list(_request())


@app.route("/admin/api/petitions", methods=["POST"], content_types=JSON)
def admin_api_create():
    return admin.api_create(_request())


@app.route("/admin/api/petitions/{petition_id}", methods=["GET"])
def admin_api_petition(petition_id):
    return admin.api_petition(_request(), petition_id)


@app.route("/admin/api/petitions/{petition_id}", methods=["POST"], content_types=JSON)
def admin_api_update(petition_id):
    return admin.api_update(_request(), petition_id)


@app.route("/admin/api/petitions/{petition_id}/status", methods=["POST"], content_types=JSON)
def admin_api_status(petition_id):
    return admin.api_status(_request(), petition_id)


@app.route("/admin/api/audit", methods=["GET"])
def admin_api_audit():
    return admin.api_audit(_request())


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
    return stream_tally.handle(event.to_dict(), event.context)  # the context tells the time left


# The second reader of the signatures stream: sends the verification mail that
# pending signatures ask for. Its wiring (filter, failure queue, retries) is in
# infra/resources.json too.
@app.on_dynamodb_record(
    stream_arn=os.environ.get("SIGNATURES_STREAM_ARN", PLACEHOLDER_STREAM_ARN),
    starting_position="TRIM_HORIZON",
    batch_size=25,
)
def send_verification_mail(event):
    return mailer.handle(event.to_dict())


# ---- data rights: the export operation (its bucket, role and limits are in infra/resources.json) ----

@app.lambda_function(name="export")
def export_operation(event, context):
    return delivery.handle(event)


# Retention: daily, anonymise the signatures of petitions closed long enough ago
# (RETENTION_DAYS, or the petition's own period).
@app.schedule(Rate(1, unit=Rate.DAYS), name="retention")
def retention_schedule(event):
    return retention.handle(event.to_dict(), event.context)
