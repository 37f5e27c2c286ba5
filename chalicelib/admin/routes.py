"""The admin area: sign-in, the petition pages and their panels, then the JSON API (never cached).

Each route hands Chalice's request to its view: sign_in_views.py, petition_views.py and its panels
(exports.py, invalidation_panel.py), api.py; guard.py holds the checks every one of them passes.
"""
from __future__ import annotations

from chalicelib.admin import api, exports, invalidation_panel, petition_views, sign_in_views
from chalicelib.web.routing import FORM, JSON, Routes

routes = Routes(__name__)


@routes.route("/admin/sign-in", methods=["GET"])
def admin_sign_in_form():
    return sign_in_views.sign_in_form(routes.request)


@routes.route("/admin/sign-in", methods=["POST"], content_types=FORM)
def admin_sign_in_request():
    return sign_in_views.sign_in_request(routes.request)


@routes.route("/admin/sign-in/{token}", methods=["GET"])
def admin_sign_in_link(token):
    return sign_in_views.link_page(routes.request, token)


@routes.route("/admin/sign-in/{token}", methods=["POST"], content_types=FORM)
def admin_sign_in_use(token):
    return sign_in_views.link_use(routes.request, token)


@routes.route("/admin/sign-out", methods=["POST"], content_types=FORM)
def admin_sign_out():
    return sign_in_views.sign_out(routes.request)


@routes.route("/admin", methods=["GET"])
def admin_home():
    return petition_views.home(routes.request)


@routes.route("/admin/new", methods=["GET"])
def admin_new_petition():
    return petition_views.new_form(routes.request)


@routes.route("/admin/petitions", methods=["POST"], content_types=FORM)
def admin_create_petition():
    return petition_views.create(routes.request)


@routes.route("/admin/petitions/{petition_id}", methods=["GET"])
def admin_petition(petition_id):
    return petition_views.petition_page(routes.request, petition_id)


@routes.route("/admin/petitions/{petition_id}", methods=["POST"], content_types=FORM)
def admin_update_petition(petition_id):
    return petition_views.update(routes.request, petition_id)


@routes.route("/admin/petitions/{petition_id}/edit", methods=["GET"])
def admin_edit_petition(petition_id):
    return petition_views.edit_form(routes.request, petition_id)


@routes.route("/admin/petitions/{petition_id}/status", methods=["POST"], content_types=FORM)
def admin_petition_status(petition_id):
    return petition_views.change_status(routes.request, petition_id)


@routes.route("/admin/petitions/{petition_id}/erase", methods=["POST"], content_types=FORM)
def admin_erase_signer(petition_id):
    return petition_views.erase_signer(routes.request, petition_id)


@routes.route("/admin/petitions/{petition_id}/invalidation/preview", methods=["POST"], content_types=FORM)
def admin_invalidation_preview(petition_id):
    return invalidation_panel.preview(routes.request, petition_id)


@routes.route("/admin/petitions/{petition_id}/invalidation/apply", methods=["POST"], content_types=FORM)
def admin_invalidation_apply(petition_id):
    return invalidation_panel.apply(routes.request, petition_id)


@routes.route("/admin/petitions/{petition_id}/exports", methods=["POST"], content_types=FORM)
def admin_start_export(petition_id):
    return exports.start(routes.request, petition_id)


@routes.route("/admin/petitions/{petition_id}/exports/{name}", methods=["GET"])
def admin_export_file(petition_id, name):
    return exports.fetch(routes.request, petition_id, name)


@routes.route("/admin/preview", methods=["POST"], content_types=FORM)
def admin_preview():
    return petition_views.preview(routes.request)


@routes.route("/admin/audit", methods=["GET"])
def admin_audit():
    return petition_views.audit_page(routes.request)


@routes.route("/admin/api/session", methods=["GET"])
def admin_api_session():
    return api.api_session(routes.request)


@routes.route("/admin/api/petitions", methods=["GET"])
def admin_api_petitions():
    return api.api_list(routes.request)


@routes.route("/admin/api/petitions", methods=["POST"], content_types=JSON)
def admin_api_create():
    return api.api_create(routes.request)


@routes.route("/admin/api/petitions/{petition_id}", methods=["GET"])
def admin_api_petition(petition_id):
    return api.api_petition(routes.request, petition_id)


@routes.route("/admin/api/petitions/{petition_id}", methods=["POST"], content_types=JSON)
def admin_api_update(petition_id):
    return api.api_update(routes.request, petition_id)


@routes.route("/admin/api/petitions/{petition_id}/status", methods=["POST"], content_types=JSON)
def admin_api_status(petition_id):
    return api.api_status(routes.request, petition_id)


@routes.route("/admin/api/audit", methods=["GET"])
def admin_api_audit():
    return api.api_audit(routes.request)
