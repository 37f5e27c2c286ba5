"""The campaign page: Markdown sanitising, the field rules, the lifecycle, per-country targets, the demo content."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from chalicelib.aws.models import PetitionStatus
from chalicelib.petitions import catalog, markdown, rules, store, targets
from tests.support.pages import Elements, get, set_totals
from tools import petition_admin

# ---- Markdown: what a hostile body becomes ---------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "![tracker](https://evil.example/pixel.gif)",
    "<img src=x onerror=alert(1)>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<p style=\"position:fixed\">x</p>",
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<form action=https://evil.example><input name=email></form>",
    "[x](https://ok.example \"a\" onclick=\"alert(1)\")",
    "<!-- <script>alert(1)</script> -->",
    "<style>body{display:none}</style>",
    "<meta http-equiv=refresh content=0;url=https://evil.example>",
    "[x](<javascript:alert(1)>)",
    "[ref][1]\n\n[1]: javascript:alert(1)",
]


class Tags(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_is_neutralised(source):
    """Whatever comes in, only the allowed tags and attributes come out, and links only to the web or mail."""
    html = str(markdown.to_html(source))
    for tag, attrs in Tags(html).tags:
        assert tag in markdown.ALLOWED_TAGS, (source, html)
        assert set(attrs) <= markdown.ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, (source, html)
        href = attrs.get("href")
        if href is not None:
            scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", href)
            assert scheme is None or scheme.group(1).lower() in ("http", "https", "mailto"), (source, html)
    assert "<script" not in html.lower() and "<img" not in html.lower()


def test_markdown_keeps_what_a_campaign_text_needs():
    html = str(markdown.to_html(
        "# Why\n\nPeople **need** [safety](https://example.org/why).\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "> a quote\n\n[write to us](mailto:team@example.org)"))
    assert "<h2>Why</h2>" in html  # one level down: the page title is the only h1
    assert "<strong>need</strong>" in html
    assert '<a href="https://example.org/why" rel="noopener noreferrer nofollow">safety</a>' in html
    assert "<ul>" in html and "<ol>" in html and "<blockquote>" in html
    assert 'href="mailto:team@example.org"' in html


def test_empty_body_is_empty():
    assert markdown.to_html(None) == "" and markdown.to_html("") == ""


# ---- the field rules ---------------------------------------------------------------

GOOD = {"petition_id": "refugees-2026", "title": "Protect people seeking asylum", "summary": "Five asks.",
        "goal": "1,500,000", "asks": "1. Keep routes open\n\n2. Treat people with dignity\n",
        "image_url": "https://example.org/photo.jpg", "image_alt": "A family at a border crossing",
        "image_credit": "Photo: A. Photographer", "organiser_name": "A charity",
        "organiser_url": "https://example.org", "featured_country": "gb", "country_targets": "GB 8500\nfr: 1,000",
        "closes_at": "2026-12-13T09:00:00Z", "thanks_url": "", "body": "Why it matters."}


def test_a_good_form_becomes_stored_values():
    values, errors = rules.parse(GOOD, creating=True)
    assert errors == {}
    assert values["goal"] == 1_500_000
    assert values["asks"] == ["Keep routes open", "Treat people with dignity"]  # the page numbers them
    assert values["featured_country"] == "GB"
    assert values["country_targets"] == {"FR": 1000, "GB": 8500}
    assert values["closes_at"] == datetime(2026, 12, 13, 9, tzinfo=UTC)
    assert values["thanks_url"] is None


def test_json_shapes_are_read_too():
    values, errors = rules.parse({**GOOD, "goal": 10, "asks": ["One", "Two"], "country_targets": {"de": 5}},
                                 creating=True)
    assert errors == {} and values["asks"] == ["One", "Two"] and values["country_targets"] == {"DE": 5}


@pytest.mark.parametrize("field, value, message", [
    ("petition_id", "Not An Id", "lower-case"),
    ("title", "", "can't be empty"),
    ("title", "x" * 201, "at most 200"),
    ("goal", "lots", "whole number"),
    ("goal", 0, "from 1"),
    ("goal", True, "whole number"),
    ("asks", ["ok", ""], "Ask 2"),
    ("asks", ["a"] * 13, "at most 12"),
    ("asks", {"not": "a list"}, "list"),
    ("image_url", "javascript:alert(1)", "https://"),
    ("image_url", "//evil.example/x.png", "https://"),
    ("organiser_url", "ftp://example.org", "https://"),
    ("featured_country", "XX", "country"),
    ("country_targets", "GB lots", "Line 1"),
    ("country_targets", {"ZZ": 5}, "country code"),
    ("country_targets", {"GB": -5}, "GB"),
    ("closes_at", "next tuesday", "date and time"),
    ("title", "a\x00b", "control"),
    ("body", "x" * 20_001, "at most 20,000"),
])
def test_each_bad_field_gets_its_own_message(field, value, message):
    _, errors = rules.parse({**GOOD, field: value}, creating=True)
    assert list(errors) == [field] and message in errors[field]


def test_an_image_needs_its_description():
    assert "image_alt" in rules.whole_problems({"image_url": "https://example.org/x.jpg"})
    assert "image_url" in rules.whole_problems({"image_credit": "Photo: X"})
    assert rules.whole_problems({"image_url": "https://example.org/x.jpg", "image_alt": "X"}) == {}


# ---- the lifecycle ----------------------------------------------------------------------

@pytest.fixture
def draft(tables):
    store.create({**GOOD, "petition_id": "draft-one", "closes_at": ""}, status=PetitionStatus.DRAFT)
    return "draft-one"


@pytest.mark.parametrize("path", ["/petitions/draft-one", "/petitions/draft-one/sign", "/petitions/draft-one/thanks",
                                  "/petitions/draft-one/dashboard", "/petitions/draft-one/totals"])
def test_a_draft_is_not_public(client, draft, path):
    assert client.get(path).status_code == 404
    assert "draft-one" not in get(client, "/")[1]


def test_signing_a_draft_is_404(client, draft):
    response = client.post("/petitions/draft-one/signatures", headers={"Content-Type": "application/json"},
                           body='{"name": "A", "email": "a@example.org", "country": "GB", "consent": true}')
    assert response.status_code == 404


def test_opening_closing_and_reopening(client, draft):
    with pytest.raises(store.WrongState):
        store.set_status(draft, "close")
    before, after = store.set_status(draft, "open")
    assert (before["status"], after["status"]) == ("draft", "open")
    catalog.reset()
    assert client.get("/petitions/draft-one").json_body["status"] == "open"
    store.set_status(draft, "close")
    catalog.reset()
    assert "This petition is closed" in get(client, "/petitions/draft-one/sign")[1]
    with pytest.raises(store.WrongState):
        store.set_status(draft, "open")  # open is for drafts; a closed petition is reopened
    store.set_status(draft, "reopen")
    catalog.reset()
    assert client.get("/petitions/draft-one").json_body["status"] == "open"


def test_closes_at_closes_it_on_the_next_read_with_no_job(client, petition):
    soon = datetime.now(UTC) + timedelta(hours=1)
    store.update("demo", {"closes_at": soon.isoformat()})
    catalog.reset()
    petition_row = store.get("demo")
    assert catalog.state(petition_row) == PetitionStatus.OPEN
    assert catalog.state(petition_row, soon + timedelta(seconds=1)) == PetitionStatus.CLOSED
    with pytest.raises(store.WrongState, match="closing time has passed"):
        store.set_status("demo", "reopen", now=soon + timedelta(seconds=1))


def test_a_closed_petition_shows_its_final_figures(client, petition):
    set_totals({"GB": 8500, "FR": 120})
    store.set_status("demo", "close")
    catalog.reset()
    _, page = get(client, "/petitions/demo/sign")
    assert "This petition is closed" in page and "Final figures" in page and "8,620 people signed it" in page
    assert "<form" not in page
    _, dashboard = get(client, "/petitions/demo/dashboard")
    assert "final figures" in dashboard and "8,620" in dashboard


# ---- the sign page shows the campaign ------------------------------------------------

def test_sign_page_shows_image_body_asks_organiser_and_featured_country(client, tables):
    store.create({**GOOD, "closes_at": "", "body": "## Why\n\nBecause <script>alert(1)</script>"},
                 status=PetitionStatus.OPEN)
    set_totals({"GB": 8500, "FR": 120}, petition_id="refugees-2026")
    _, page = get(client, "/petitions/refugees-2026/sign", **{"CloudFront-Viewer-Country": "FR"})
    doc = Elements(page)
    [image] = doc.all("img")
    assert image["src"] == "https://example.org/photo.jpg" and image["alt"] == "A family at a border crossing"
    assert "<figcaption>Photo: A. Photographer</figcaption>" in page
    assert "<h3>Why</h3>" in page and "&lt;script&gt;" in page and "<script>alert" not in page
    asks = re.search(r'<ol class="asks">(.*?)</ol>', page, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", asks) == ["Keep routes open", "Treat people with dignity"]
    assert 'Organised by <a href="https://example.org"' in page
    # The featured country, not the visitor's.
    assert "8,500 from the United Kingdom" in page and "120 from France" not in page
    assert "1 of 2 countries over their threshold" in page


# ---- targets in the totals ---------------------------------------------------------------

def test_targets_reached_is_pure():
    assert targets.reached({"GB": 10, "FR": 3}, {"GB": 10, "FR": 5, "DE": 1}) == ["GB"]
    figures = {"total": 13, "by_country": {"GB": 10, "FR": 3}}
    assert targets.with_targets(figures, {"FR": 3}) == {**figures, "targets": {"FR": 3}, "targets_reached": ["FR"]}


def test_totals_say_which_countries_reached_their_target(client, petition):
    store.update("demo", {"country_targets": {"GB": 8000, "FR": 500, "DE": 1}})
    catalog.reset()
    set_totals({"GB": 8500, "FR": 120, "DE": 1})
    body = client.get("/petitions/demo/totals").json_body
    assert body["by_country"] == {"GB": 8500, "FR": 120, "DE": 1} and body["total"] == 8621
    assert body["targets"] == {"DE": 1, "FR": 500, "GB": 8000}
    assert body["targets_reached"] == ["DE", "GB"]
    _, page = get(client, "/petitions/demo/dashboard")
    assert "2 of 3 countries over their threshold" in page


# ---- make petition and the demo -----------------------------------------------------------

def test_make_petition_creates_a_full_campaign(tables, tmp_path, capsys):
    body = tmp_path / "why.md"
    body.write_text("# Why\n\nBecause.")
    assert petition_admin.main([
        "create", "camp", "--title", "A campaign", "--summary", "Short.", "--goal", "1000", "--draft",
        "--ask", "First", "--ask", "Second", "--body-file", str(body), "--image-url", "https://example.org/p.jpg",
        "--image-alt", "A photo", "--organiser-name", "Us", "--featured-country", "GB", "--target", "GB=100"]) == 0
    shown = store.fields_of(store.get("camp"))
    assert shown["status"] == "draft" and shown["asks"] == ["First", "Second"]
    assert shown["country_targets"] == {"GB": 100} and shown["body"].startswith("# Why")
    assert petition_admin.main(["open", "camp"]) == 0
    assert store.get("camp").status == "open"
    assert petition_admin.main(["close", "camp"]) == 0 and petition_admin.main(["close", "camp"]) == 1


def test_make_petition_explains_a_bad_field(tables):
    with pytest.raises(SystemExit, match="featured_country: Choose a country"):
        petition_admin.main(["create", "camp", "--title", "T", "--summary", "S", "--goal", "5",
                             "--featured-country", "XX"])


def test_the_demo_carries_the_campaign(client, tables):
    assert petition_admin.create(**petition_admin.DEMO, if_absent=True)
    set_totals({"GB": 8500, "FR": 10})
    _, page = get(client, "/petitions/demo/sign")
    assert len(re.findall(r"<li>", re.search(r'<ol class="asks">(.*?)</ol>', page, re.S).group(1))) == 5
    assert "What is the Global Refugee Forum?" in page
    assert "8,500 from the United Kingdom" in page
