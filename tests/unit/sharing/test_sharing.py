"""The counter badge, the embeddable form and who may frame our pages, through Chalice's test client on moto."""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest

from chalicelib.web import framing
from tests.support.pages import get, set_totals
from tools import petition_admin


def frame_ancestors(response) -> str:
    """The frame-ancestors directive of a response's Content-Security-Policy."""
    directives = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return directives["frame-ancestors"]

SVG = "{http://www.w3.org/2000/svg}"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
GOOD = "name=Amina+Yusuf&email=amina%40example.org&country=GB&consent=yes"


# ---- the badge ---------------------------------------------------------------------

def test_the_badge_is_valid_svg_with_the_live_total_and_an_accessible_title(client, petition):
    set_totals({"GB": 8500, "FR": 120})
    response = client.get("/petitions/demo/badge.svg")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.body)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title = root.find(f"{SVG}title").text
    assert title == "Protect people seeking asylum: 8,620 signatures of a goal of 1,500,000"
    assert [t.text for t in root.iter(f"{SVG}text")] == ["signatures", "8,620 of 1,500,000"]
    set_totals({"GB": 8501, "FR": 120})
    assert "8,621 of 1,500,000" in client.get("/petitions/demo/badge.svg").body.decode()


def test_the_badge_caches_like_the_totals_and_answers_304(client, petition):
    set_totals({"GB": 10})
    first = client.get("/petitions/demo/badge.svg")
    totals = client.get("/petitions/demo/totals")
    assert first.headers["Cache-Control"] == totals.headers["Cache-Control"]
    again = client.get("/petitions/demo/badge.svg", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.body == b""
    set_totals({"GB": 11})
    changed = client.get("/petitions/demo/badge.svg", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def test_a_country_badge_and_a_translated_one(client, petition):
    set_totals({"GB": 8500, "FR": 1_100_000})
    texts = [t.text for t in ET.fromstring(client.get("/petitions/demo/badge.svg?country=gb").body).iter(f"{SVG}text")]
    assert texts == ["United Kingdom", "8,500"]
    french = ET.fromstring(client.get("/petitions/demo/badge.svg?country=FR&lang=fr").body)
    assert [t.text for t in french.iter(f"{SVG}text")] == ["France", "1\u202f100\u202f000"]


@pytest.mark.parametrize("path, status", [("/petitions/demo/badge.svg?country=XX", 400),
                                          ("/petitions/demo/badge.svg?country=<svg>", 400),
                                          ("/petitions/demo/badge.svg?country=", 400),
                                          ("/petitions/nope/badge.svg", 404)])
def test_bad_badge_requests_are_clear_4xx(client, petition, path, status):
    response = client.get(path)
    assert response.status_code == status and "error" in response.json_body


# ---- framing -----------------------------------------------------------------------

def test_the_framing_decision_per_route():
    assert framing.frame_ancestors(False, ["https://a.example"]) == "'none'"
    assert framing.frame_ancestors(True) == "*"
    assert framing.frame_ancestors(True, ["https://b.example", "https://a.example"]) == \
        "https://a.example https://b.example"


@pytest.mark.parametrize("path", ["/", "/petitions/demo/sign", "/petitions/demo/thanks", "/petitions/demo/dashboard",
                                  "/privacy", "/petitions/nope/sign", "/admin/sign-in"])
def test_every_other_page_refuses_to_be_framed(client, petition, path):
    assert frame_ancestors(client.get(path)) == "'none'"


def test_the_embed_may_be_framed_by_any_site_or_only_the_petitions_sites(client, petition):
    response, page = get(client, "/petitions/demo/embed?lang=fr")
    assert response.status_code == 200 and frame_ancestors(response) == "*"
    assert '<header class="site">' not in page and "<footer" not in page  # no site chrome
    assert 'action="/petitions/demo/signatures?lang=fr&amp;embed=1"' in page and "Nom complet" in page
    assert re.search(r'src="/static/embed\.js\?v=\w+"', page)
    petition_admin.update("demo", embed_origins=["https://partner.example.org/", "https://b.example"])
    response = client.get("/petitions/demo/embed")
    assert frame_ancestors(response) == "https://b.example https://partner.example.org"


def test_the_embed_posts_like_the_full_form_and_stays_in_its_frame(client, petition):
    bad = client.post("/petitions/demo/signatures?lang=es&embed=1", headers=FORM, body="name=&email=x&consent=yes")
    assert bad.status_code == 422 and frame_ancestors(bad) == "*"
    page = bad.body.decode()
    assert "Escribe tu nombre." in page and '<header class="site">' not in page
    good = client.post("/petitions/demo/signatures?lang=es&embed=1", headers=FORM, body=GOOD)
    assert good.status_code == 303
    assert good.headers["Location"] == "/petitions/demo/embed?lang=es&signed=1"
    assert frame_ancestors(good) == "*"
    _, thanks = get(client, good.headers["Location"])
    assert "Gracias por firmar" in thanks


def test_embed_origins_must_be_sites(petition):
    with pytest.raises(SystemExit, match="is not a site's address"):
        petition_admin.update("demo", embed_origins=["https://partner.example.org/page"])


def test_the_thanks_page_offers_the_snippet_with_the_public_address(client, petition, site_address):
    _, page = get(client, "/petitions/demo/thanks?lang=uk")
    snippet = re.search(r'<textarea id="embed-snippet"[^>]*>(.*?)</textarea>', page, re.S)[1]
    snippet = html.unescape(snippet)  # what the visitor sees and copies
    assert snippet.startswith('<iframe src="https://sign.example.org/petitions/demo/embed?lang=uk"')
    assert "embed-host.js" in snippet
