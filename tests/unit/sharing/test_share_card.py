"""Share cards: Open Graph and Twitter tags on the sign page, and the card image with the live total."""
from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from PIL import Image

from chalicelib.petitions import catalog
from chalicelib.sharing import card
from tests.support.pages import get, set_totals


@pytest.fixture(autouse=True)
def no_kept_cards():
    card.reset()
    yield
    card.reset()


def test_the_sign_page_has_open_graph_and_twitter_tags_with_an_absolute_card(client, petition,
                                                                           site_address):
    set_totals({"GB": 8500})
    _, page = get(client, "/petitions/demo/sign?lang=fr")
    tags = dict(re.findall(r'<meta (?:property|name)="((?:og|twitter):[^"]+)" content="([^"]*)">', page))
    assert tags["og:image"] == "https://sign.example.org/petitions/demo/card.png?lang=fr"
    assert tags["twitter:image"] == tags["og:image"] and tags["twitter:card"] == "summary_large_image"
    assert tags["og:url"] == "https://sign.example.org/petitions/demo/sign"
    assert tags["og:locale"] == "fr" and "8\u202f500 signatures sur un objectif" in tags["og:image:alt"]


def test_the_card_is_a_png_of_the_open_graph_size(client, petition):
    set_totals({"GB": 8500})
    accept = {"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"}  # what a browser or a link preview sends
    response = client.get("/petitions/demo/card.png", headers=accept)
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    image = Image.open(io.BytesIO(response.body))
    assert image.format == "PNG" and image.size == (1200, 630)
    again = client.get("/petitions/demo/card.png", headers={**accept, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_card_is_drawn_again_at_most_once_a_minute(petition):
    view = catalog.public_view(catalog.load("demo"))
    first = card.card(view, 100, now=1000.0)
    assert card.card(view, 250, now=1059.0) is first  # a new total within the minute: the same card
    later = card.card(view, 250, now=1060.0)
    assert later.png != first.png and later.etag != first.etag


@pytest.mark.parametrize("language", ["en", "fr", "ar", "uk"])
def test_the_card_shows_the_figures_in_each_language(language):
    """The card changes with the total (it is drawn, not a fixed image), in every language."""
    a = card.draw("Protect people seeking asylum", 8500, 1_500_000, language)
    b = card.draw("Protect people seeking asylum", 8501, 1_500_000, language)
    assert a != b and Image.open(io.BytesIO(a)).size == (1200, 630)


def test_unknown_petition_has_no_card(client, petition):
    assert client.get("/petitions/nope/card.png").status_code == 404


def test_importing_the_app_loads_neither_pillow_nor_babel():
    """The sign path's cold start (benchmark 5) does not pay for the card or for CLDR data."""
    code = "import sys, app; print(sorted(m for m in ('PIL', 'babel', 'pyuca') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
