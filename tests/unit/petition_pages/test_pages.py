"""The HTML pages and their static assets, through Chalice's test client against moto."""
import json
import re
from urllib.parse import urlencode

import pytest

from chalicelib.aws import config
from chalicelib.aws.models import PetitionStatus
from chalicelib.i18n import countries, negotiation
from chalicelib.petition_pages import views
from chalicelib.petitions import catalog
from chalicelib.web import pages
from tests.support.pages import Elements, get, set_totals
from tools import petition_admin

HTML = "text/html"








# ---- likely_country: a pure function -----------------------------------------

@pytest.mark.parametrize("viewer, accept, expected", [
    ("GB", "fr-FR", "GB"),               # CloudFront's header wins
    ("gb", None, "GB"),
    ("XX", "de-DE", "DE"),               # an unknown code from the header is ignored
    (None, "en-GB,en;q=0.8", "GB"),
    (None, "fr-CA;q=0.5, de-AT", "AT"),  # the most preferred tag with a region
    (None, "en;q=0.9, pt-BR;q=0.8", "BR"),
    (None, "zh-Hant-TW", "TW"),
    (None, "en_gb", "GB"),
    (None, "es-419, fr", None),          # a UN M.49 region is not a country
    (None, "fr", None),                  # a bare language names no country
    (None, "de-DE;q=0, it-IT;q=0.1", "IT"),
    (None, "en-GB;q=abc, fr-FR;q=0.5", "FR"),
    (None, "", None),
    (None, None, None),
    (None, "*", None),
])
def test_likely_country(viewer, accept, expected):
    assert views.likely_country(viewer, accept) == expected


def test_likely_country_reads_accept_language_as_the_language_choice_does():
    padding = ", ".join(["de;q=0.9"] * negotiation.MAX_RANGES)
    assert views.likely_country(None, padding + ", fr-FR") is None  # past the entries read
    assert views.likely_country(None, "de, fr-FR") == "FR"


# ---- sign page ----------------------------------------------------------------

def test_sign_page_shows_the_petition_total_and_a_labelled_form(client, petition, site_address):
    set_totals({"GB": 8500, "FR": 120})
    response, page = get(client, "/petitions/demo/sign")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(HTML)
    assert "Protect people seeking asylum" in page and "Five asks to world leaders." in page
    assert "8,620" in page and "1,500,000" in page
    doc = Elements(page)
    [form] = doc.all("form")
    assert form["method"] == "post" and form["action"] == "/petitions/demo/signatures?lang=en"
    labelled = {a["for"] for a in doc.all("label")}
    fields = [a for t, a in doc.tags if t in ("input", "select") and a.get("type") != "hidden"]
    assert {a.get("name") for a in fields} == {"name", "email", "country", "postcode", "consent",
                                                "updates_opt_in", "website", None}  # None: the share link's box
    for field in fields:
        assert field["id"] in labelled, f"{field['id']} has no label"
    [honeypot] = doc.all("input", name="website")
    assert honeypot["tabindex"] == "-1"
    assert 'href="/privacy"' in page


def test_country_select_lists_every_country_by_readable_name(client, petition):
    _, page = get(client, "/petitions/demo/sign")
    options = re.findall(r'<option value="([A-Z]{2})"', page)
    assert len(options) == len(countries.names()) >= 249
    assert '<option value="CI">Côte d&#39;Ivoire</option>' in page or "Côte d" in page
    assert "<option value=\"\" selected" not in page
    assert " selected>" not in page  # no header, no guess


def test_country_preselected_from_cloudfront_then_accept_language(client, petition):
    _, page = get(client, "/petitions/demo/sign", **{"CloudFront-Viewer-Country": "FR", "Accept-Language": "en-GB"})
    assert '<option value="FR" selected>' in page and '<option value="GB" selected>' not in page
    _, page = get(client, "/petitions/demo/sign", **{"Accept-Language": "en-GB,en;q=0.8"})
    assert '<option value="GB" selected>' in page
    response = client.get("/petitions/demo/sign")
    # The language too: ?lang=, then the switcher's cookie, then Accept-Language.
    assert set(response.headers["Vary"].split(", ")) == {"CloudFront-Viewer-Country", "Accept-Language", "Cookie"}


def test_sign_page_shows_the_count_from_the_visitors_country(client, petition):
    set_totals({"GB": 8500, "FR": 120})
    _, page = get(client, "/petitions/demo/sign", **{"CloudFront-Viewer-Country": "GB"})
    assert "8,500 from the United Kingdom" in page
    _, page = get(client, "/petitions/demo/sign", **{"CloudFront-Viewer-Country": "FR"})
    assert "120 from France" in page


def test_campaign_code_from_the_link_is_kept(client, petition):
    _, page = get(client, "/petitions/demo/sign?source=email-nov_2026.a")
    assert '<input type="hidden" name="source" value="email-nov_2026.a">' in page


@pytest.mark.parametrize("source", ["+", "%20", 'x"><b>', "x" * 65, "a%0Ab"])
def test_an_invalid_campaign_code_on_the_link_is_dropped_and_counted(client, petition, caplog, source):
    caplog.set_level("INFO", logger="chalicelib")
    response, page = get(client, "/petitions/demo/sign?source=" + source)
    assert response.status_code == 200
    assert 'name="source"' not in page
    assert "source dropped petition=demo" in caplog.messages


def test_closed_petition_shows_closed_and_no_form(client, petition):
    petition_admin.update("demo", status=PetitionStatus.CLOSED)
    catalog.reset()
    response, page = get(client, "/petitions/demo/sign")
    assert response.status_code == 200
    assert "This petition is closed" in page
    assert "<form" not in page and 'name="email"' not in page


def test_unknown_petition_pages_are_404_html(client, tables):
    for page in ("sign", "thanks", "dashboard"):
        response, body = get(client, f"/petitions/no-such/{page}")
        assert response.status_code == 404 and response.headers["Content-Type"].startswith(HTML)
        assert "Petition not found" in body


def test_422_rerender_links_each_message_to_its_field(client, petition):
    response = client.post("/petitions/demo/signatures", headers={"Content-Type": "application/x-www-form-urlencoded"},
                           body=urlencode({"name": "Amina", "email": "nope", "country": "GB"}))
    page = response.body.decode()
    assert response.status_code == 422
    doc = Elements(page)
    [email] = doc.all("input", name="email")
    assert email["aria-invalid"] == "true" and email["aria-describedby"] == "email-error"
    assert re.search(r'id="email-error"[^>]*>.*Enter a valid email address', page)
    assert '<a href="#email">' in page and '<a href="#consent">' in page
    assert 'role="alert"' in page
    assert doc.all("input", name="name")[0].get("aria-invalid") is None
    assert "<title>Error: " in page
    assert re.search(r"<div data-progress hidden>", page)  # no total read on this path; the script fetches it


# ---- thanks page ----------------------------------------------------------------



def test_thanks_page_has_total_and_plain_share_links(client, petition, site_address):
    set_totals({"GB": 12})
    response, page = get(client, "/petitions/demo/thanks")
    assert response.status_code == 200
    assert "Thank you" in page and ">12<" in page
    assert 'value="https://sign.example.org/petitions/demo/sign"' in page
    assert "https%3A%2F%2Fsign.example.org%2Fpetitions%2Fdemo%2Fsign" in page
    assert "mailto:?subject=" in page


@pytest.mark.parametrize("path", ["/petitions/demo/thanks", "/petitions/demo/sign"])
def test_links_that_leave_the_site_ignore_the_requests_host(client, petition, site_address, path):
    _, page = get(client, path, Host="evil.example", **{"X-Forwarded-Host": "evil.example",
                                                        "X-Forwarded-Proto": "http", "Forwarded": "host=evil.example"})
    assert "evil.example" not in page
    assert 'content="https://sign.example.org/petitions/demo/sign"' in page or path.endswith("thanks")
    assert 'value="https://sign.example.org/petitions/demo/sign"' in page


@pytest.mark.parametrize("path", ["/petitions/demo/thanks", "/petitions/demo/sign"])
def test_without_a_public_address_pages_offer_no_share_link(client, petition, path):
    assert config.settings().public_base_url is None
    response, page = get(client, path, Host="evil.example")
    assert response.status_code == 200
    assert "evil.example" not in page and "data-share-url" not in page and "og:url" not in page
    assert "Thank you for signing" in page  # the thanks (page, or the script's in-place panel) stays


# ---- dashboard ------------------------------------------------------------------

def test_dashboard_ranks_every_country_with_signatures(client, petition):
    set_totals({"FR": 120, "GB": 8500, "DE": 7, "US": 0})
    response, page = get(client, "/petitions/demo/dashboard")
    assert response.status_code == 200
    ranked = re.findall(r'<li data-code="([A-Z]{2})"><span class="name">([^<]+)</span>'
                        r'<span class="n" data-n="\d+">([\d,]+)<', page)
    assert ranked == [("GB", "United Kingdom", "8,500"), ("FR", "France", "120"), ("DE", "Germany", "7")]
    assert "8,627" in page
    assert 'datetime="2026-11-27T20:00:00Z">27 Nov 2026, 20:00:00 UTC</time>' in page
    assert Elements(page).all("input", id="country-filter")
    assert 'data-poll="5"' in page


def test_dashboard_etag_is_the_totals_etag(client, petition):
    set_totals({"GB": 3})
    _, page = get(client, "/petitions/demo/dashboard")
    etag = client.get("/petitions/demo/totals").headers["ETag"]
    assert f'data-etag="{etag.replace(chr(34), "&#34;")}"' in page


def test_dashboard_embeds_country_names_as_safe_json(client, petition):
    _, page = get(client, "/petitions/demo/dashboard")
    raw = re.search(r'<script type="application/json" id="country-names">(.*?)</script>', page, re.S).group(1)
    names = json.loads(raw)
    assert names["GB"] == "United Kingdom" and len(names) == len(countries.names())
    assert "'" not in raw  # apostrophes are escaped (Côte d'Ivoire)


def test_dashboard_without_signatures(client, petition):
    response, page = get(client, "/petitions/demo/dashboard")
    assert response.status_code == 200 and "no signatures yet" in page


# ---- index and privacy ----------------------------------------------------------

def test_index_lists_open_petitions_with_links(client, petition):
    petition_admin.create("old-one", "An old petition", "Closed now.", 10)
    petition_admin.update("old-one", status=PetitionStatus.CLOSED)
    response, page = get(client, "/")
    assert response.status_code == 200
    assert 'href="/petitions/demo/sign"' in page and 'href="/petitions/demo/dashboard"' in page
    assert "old-one" not in page


def test_index_with_nothing_open(client, tables):
    assert "No petitions are open" in get(client, "/")[1]


def test_privacy_notice(client, tables):
    response, page = get(client, "/privacy")
    assert response.status_code == 200 and "Privacy notice" in page


# ---- what a browser or CDN may keep -------------------------------------------------

PAGES = {"/": "public", "/petitions/demo/sign": "public", "/petitions/demo/dashboard": "public",
         "/privacy": "public", "/petitions/demo/thanks": "no-store", "/petitions/no-such/sign": "no-store",
         "/petitions/no-such/thanks": "no-store", "/petitions/no-such/dashboard": "no-store",
         "/petitions/demo/confirm": "no-store",
         "/petitions/demo/remove": "public", "/petitions/demo/remove/confirm": "no-store",
         "/petitions/demo/updates/confirm": "no-store",
         "/petitions/demo/embed": "public"}


def test_every_html_page_is_listed_here():
    from app import app

    html_routes = {path for path, methods in app.routes.items() if "GET" in methods
                   and not path.startswith("/admin")} - {  # the admin area: no-store, tests/unit/admin/test_admin.py
        "/static/{name}", "/petitions/{petition_id}", "/petitions/{petition_id}/totals",
        # not HTML: the badge, the share card, the OSDI petition (tests/unit/sharing/, tests/unit/osdi/)
        "/petitions/{petition_id}/badge.svg", "/petitions/{petition_id}/card.png", "/osdi/v1/petitions/{petition_id}"}
    listed = {re.sub(r"^/petitions/[^/]+", "/petitions/{petition_id}", path) for path in PAGES}
    assert html_routes == listed


@pytest.mark.parametrize("path, kind", PAGES.items())
def test_every_page_says_what_may_be_kept(client, petition, path, kind):
    response, _ = get(client, path)
    assert response.headers["Content-Type"].startswith(HTML)
    cache = response.headers["Cache-Control"]
    if kind == "no-store":
        assert cache == "no-store"
    else:
        assert cache.startswith("public, max-age=") and "no-store" not in cache


def test_sign_page_cache_keys_on_the_headers_that_choose_its_country(client, petition):
    response, _ = get(client, "/petitions/demo/sign")
    assert {v.strip() for v in response.headers["Vary"].split(",")} == {
        "CloudFront-Viewer-Country", "Accept-Language", "Cookie"}


# ---- static assets and what pages load ---------------------------------------------

@pytest.mark.parametrize("name, kind", [("countersign.js", "text/javascript"), ("world.svg", "image/svg+xml")])
def test_static_assets_are_served_with_long_cache(client, tables, name, kind):
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(kind)
    assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.parametrize("name", ["app.py", "..%2Fpages.py", "pages.py", "COUNTERSIGN.JS", "missing.js", ".js"])
def test_only_our_static_files_are_served(client, tables, name):
    assert client.get(f"/static/{name}").status_code == 404


def test_made_up_static_names_cost_no_memory(tables):
    """Names anyone can ask for must not stay in a cache (each one stayed, keyed by the name)."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(5000):  # each name made here, as each request brings its own
            assert pages.asset(f"{i:05d}-" + "a" * 200 + ".js") is None
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 128 * 1024, f"{kept} bytes kept after looking up made-up names"


def test_a_static_name_too_long_for_a_file_is_a_404(client, tables):
    assert client.get("/static/" + "a" * 4096 + ".js").status_code == 404


def test_asset_urls_carry_the_content_hash(client, petition):
    _, page = get(client, "/petitions/demo/sign")
    version = pages.asset("countersign.js").version
    assert f'src="/static/countersign.js?v={version}"' in page


@pytest.mark.parametrize("path", ["/", "/petitions/demo/sign", "/petitions/demo/thanks", "/petitions/demo/dashboard",
                                  "/privacy"])
def test_pages_load_nothing_from_other_sites(client, petition, path):
    _, page = get(client, path)
    doc = Elements(page)
    for tag, attrs in doc.tags:
        if tag in ("script", "img", "iframe", "link", "source", "video", "audio"):
            for attr in ("src", "href", "srcset"):
                assert not re.match(r"(https?:)?//", attrs.get(attr) or ""), (tag, attrs)
    assert "@import" not in page and "url(" not in page


def test_pages_keep_the_api_gateway_stage_in_links(petition, monkeypatch):
    from app import app

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://abc.execute-api.eu-west-2.amazonaws.com/api")
    config.reset()

    event = {
        "resource": "/petitions/{petition_id}/sign", "path": "/petitions/demo/sign", "httpMethod": "GET",
        "headers": {"Host": "abc.execute-api.eu-west-2.amazonaws.com", "X-Forwarded-Proto": "https"},
        "multiValueQueryStringParameters": None, "pathParameters": {"petition_id": "demo"},
        "stageVariables": None, "isBase64Encoded": False, "body": None,
        "requestContext": {"httpMethod": "GET", "resourcePath": "/petitions/{petition_id}/sign",
                           "path": "/api/petitions/demo/sign", "stage": "api"},
    }
    page = app(event, None)["body"]
    assert 'action="/api/petitions/demo/signatures?lang=en"' in page
    assert 'src="/api/static/countersign.js?v=' in page
    assert 'href="/api/privacy"' in page
    assert 'value="https://abc.execute-api.eu-west-2.amazonaws.com/api/petitions/demo/sign"' in page


def test_world_map_tags_countries_with_alpha_2_codes():
    svg = pages.asset("world.svg").body
    codes = set(re.findall(r'data-cc="([A-Z]{2})"', svg))
    assert {"GB", "FR", "US", "IN", "BR", "NG", "AU", "CN"} <= codes
    assert codes <= set(countries.names())
    assert "AQ" not in codes
    assert len(svg.encode()) < 100_000
