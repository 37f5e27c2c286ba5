"""A petition's own words in several languages: stored through the campaign rules, shown per page language,
with the original and a note where a translation is missing."""
from __future__ import annotations

import json

import pytest

from chalicelib.petitions import catalog, rules
from tests.support.pages import get
from tools import petition_admin

FRENCH = {"title": "Protégez les personnes qui demandent l’asile", "summary": "Cinq demandes aux dirigeants.",
          "asks": ["Garder les routes ouvertes."]}


@pytest.fixture
def translated(petition):
    petition_admin.update("demo", asks=["Keep routes open.", "Decent conditions."], body="Why it matters.",
                          translations={"fr": FRENCH})
    return "demo"


def test_a_page_in_a_translated_language_shows_the_translation(client, translated):
    response, page = get(client, "/petitions/demo/sign?lang=fr")
    assert "<h1>Protégez les personnes qui demandent l’asile</h1>" in page
    assert "Garder les routes ouvertes." in page
    # The body was not translated: it is shown in English, marked as such, and the page says so.
    assert '<div class="body" lang="en"><p>Why it matters.</p>' in page and 'id="content-language-note"' in page
    assert "Certaines parties de cette pétition ne sont pas encore traduites en français" in page


def test_a_page_in_a_language_without_translation_falls_back_and_says_so(client, translated):
    _, page = get(client, "/petitions/demo/sign?lang=es")
    assert '<h1 lang="en">Protect people seeking asylum</h1>' in page
    assert "Esta petición aún no está traducida al español, así que se muestra en inglés." in page
    assert '<div class="campaign" lang="en" dir="ltr">' in page


def test_the_original_language_needs_no_note(client, translated):
    _, page = get(client, "/petitions/demo/sign?lang=en")
    assert "content-language-note" not in page and "<h1>Protect people seeking asylum</h1>" in page


def test_the_public_api_gives_the_words_in_the_asked_language(client, translated):
    french = json.loads(client.get("/petitions/demo", headers={"Accept-Language": "fr"}).body)
    assert french["title"] == FRENCH["title"] and french["language"] == "fr"
    assert french["languages"] == ["en", "fr"] and french["partly_translated"] is True
    spanish = json.loads(client.get("/petitions/demo", headers={"Accept-Language": "es"}).body)
    assert spanish["title"] == "Protect people seeking asylum" and spanish["language"] == "en"


def test_a_petition_written_in_another_language_translates_to_english(client, petition):
    petition_admin.update("demo", title="Protégez", summary="Résumé.", language="fr",
                          translations={"en": {"title": "Protect", "summary": "Summary."}})
    assert catalog.public_view(catalog.load("demo"), language="en")["title"] == "Protect"
    _, page = get(client, "/petitions/demo/sign?lang=fr")
    assert "<h1>Protégez</h1>" in page and "content-language-note" not in page


@pytest.mark.parametrize("value, problem", [
    ({"de": {"title": "T", "summary": "S"}}, "not one of the site's languages"),
    ({"fr": {"title": "T"}}, "Français: a translation needs at least a title and a summary."),
    ({"fr": {"title": "T", "summary": "S", "colour": "red"}}, "give only title, summary, body, asks"),
    ({"fr": {"title": "T\nU", "summary": "S"}}, "Français:"),
    ("fr: bonjour", "one entry per language"),
])
def test_translations_follow_the_same_rules_as_the_original(value, problem):
    _, errors = rules.parse({"translations": value}, creating=False)
    assert problem in errors["translations"]


def test_a_blank_language_is_no_translation():
    values, errors = rules.parse({"translations": {"fr": {"title": "", "summary": "", "asks": "", "body": ""}}},
                                 creating=False)
    assert errors == {} and values["translations"] == {}


def test_the_editor_has_a_tab_per_language_and_keeps_translations(admin, translated):
    form = admin.get("/admin/petitions/demo/edit").body.decode()
    assert '<summary>Français</summary>' in form and 'name="fr.title"' in form and 'name="uk.summary"' in form
    assert 'value="Protégez les personnes qui demandent l’asile"' in form
    fields = {"csrf_token": admin.csrf(form), "title": "Protect people seeking asylum",
              "summary": "Five asks to world leaders.", "goal": "1500000", "asks": "Keep routes open.",
              "body": "Why it matters.", "language": "en", "fr.title": FRENCH["title"], "fr.summary": FRENCH["summary"],
              "fr.asks": "Garder les routes ouvertes.", "uk.title": "Захистіть", "uk.summary": "П’ять вимог."}
    saved = admin.post("/admin/petitions/demo", fields)
    assert saved.status_code == 303
    stored = catalog.translations_of(catalog.load("demo"))
    assert set(stored) == {"fr", "uk"} and stored["uk"]["title"] == "Захистіть"
    broken = admin.post("/admin/petitions/demo", {**fields, "uk.summary": ""})
    assert broken.status_code == 422 and "Українська: a translation needs" in broken.body.decode()
