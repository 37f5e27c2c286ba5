"""Countersign: the app, the middleware every answer passes through, and each feature's blueprint.

Every route, stream handler and schedule lives in the package that owns it (its ``routes.py``);
docs/architecture.md says which is where.
"""
from chalice import Chalice

from chalicelib.admin.routes import routes as admin
from chalicelib.i18n import web as languages
from chalicelib.osdi.routes import routes as osdi
from chalicelib.petition_pages.routes import routes as petition_pages
from chalicelib.petitions.routes import routes as petitions
from chalicelib.rights.routes import routes as rights
from chalicelib.sharing.routes import routes as sharing
from chalicelib.signing.routes import routes as signing
from chalicelib.tally.routes import routes as tally
from chalicelib.verification.routes import routes as verification
from chalicelib.web import origin_guard, responses, security_headers
from chalicelib.web.routes import routes as site

app = Chalice(app_name="countersign")
app.api.binary_types.append("image/png")  # the share card
app.register_middleware(security_headers.middleware, "http")  # CSP, nosniff and the rest, on every answer
app.register_middleware(origin_guard.middleware, "http")  # behind CloudFront, refuse what went around it


@app.middleware("http")
def in_their_language(request, get_response):
    """Every route answers in the request's language (?lang=, the switcher's cookie, Accept-Language)."""
    return languages.around(request, get_response, responses.stage_prefix(request))


for feature in (site, petitions, petition_pages, signing, tally, verification, rights, sharing, osdi, admin):
    app.register_blueprint(feature)
