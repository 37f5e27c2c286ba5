"""The OpenAPI document stays true to the app's JSON API routes."""
from pathlib import Path

import yaml

from app import app

SPEC = yaml.safe_load((Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml").read_text())
API_PATHS = {path for path in app.routes if path.startswith("/petitions/{petition_id}") and
             not path.endswith(("/sign", "/thanks", "/dashboard"))} | {
    path for path in app.routes if path.startswith("/admin/api/")}


def test_every_api_route_and_method_is_documented():
    for path in API_PATHS:
        documented = {m.upper() for m in SPEC["paths"].get(path, {})}
        assert documented == set(app.routes[path]), path


def test_nothing_documented_that_the_app_does_not_serve():
    for path, methods in SPEC["paths"].items():
        assert path in app.routes and {m.upper() for m in methods} <= set(app.routes[path])


def test_documented_fields_are_the_fields_the_rules_read():
    from chalicelib.fraud import challenge
    from chalicelib.signing import submission

    fields = {"name", "email", "country", "postcode", "consent", "updates_opt_in", "source", "website",
              challenge.TOKEN_FIELD}
    schemas = SPEC["components"]["schemas"]
    for schema in (schemas["Signature"], schemas["SignatureForm"]["anyOf"][0]):
        assert set(schema["properties"]) == fields
        assert set(schema["required"]) == set(submission.validate({})[1])


def test_admin_api_fields_are_the_fields_the_rules_read():
    from chalicelib.petitions import rules

    documented = set(SPEC["components"]["schemas"]["AdminPetitionFields"]["properties"])
    assert documented == {"petition_id", "status", *rules.NAMES}
