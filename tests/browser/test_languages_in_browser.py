"""The pages in other languages, in Chromium: a French browser signs in French, Arabic mirrors the layout."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import SIGN

pytestmark = pytest.mark.browser


@pytest.fixture
def french(browser, stack):
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def french_without_js(browser, stack):
    context = browser.new_context(base_url=stack.base_url, java_script_enabled=False, locale="fr-FR")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_a_french_browser_signs_in_french_with_errors_in_french(french, email):
    page = french
    page.goto(SIGN)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Nom complet")).to_be_visible()
    page.fill("#name", "Amina Yusuf")
    page.fill("#email", "pas-une-adresse")
    page.select_option("#country", "FR")
    page.click("button[type=submit]")
    expect(page.locator("#email-error")).to_contain_text("Saisissez une adresse e-mail valide")
    expect(page.locator("#consent-error")).to_contain_text("politique de confidentialité")
    assert page.title().startswith("Erreur : ")
    page.fill("#email", email)
    page.check("#consent")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Merci d’avoir signé")).to_be_focused()


def test_without_javascript_the_switcher_changes_language_and_it_sticks(french_without_js, email):
    page = french_without_js
    page.goto(SIGN)
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(re.compile(r"/petitions/demo/sign\?lang=es$"))
    page.locator("footer a").click()  # a plain link: the cookie carries the choice
    expect(page.locator("h1")).to_have_text("Aviso de privacidad")
    page.go_back()
    page.fill("#name", "Amina Yusuf")
    page.fill("#email", email)
    page.select_option("#country", "ES")
    page.check("#consent")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/thanks\?lang=es$"))
    expect(page.get_by_role("heading", name="Gracias por firmar")).to_be_visible()


@pytest.mark.parametrize("device", ["page", "phone"])
def test_arabic_is_right_to_left_and_mirrored(request, device):
    page = request.getfixturevalue(device)
    page.goto(f"{SIGN}?lang=ar")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    width = page.viewport_size["width"]
    # Text starts at the right: a label's words hug its box's right edge, far from its left one.
    left_gap, right_gap = page.locator("label[for=name]").evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e); const t = r.getBoundingClientRect();"
        " const b = e.getBoundingClientRect(); return [t.left - b.left, b.right - t.right]; }")
    assert right_gap < 1 < left_gap
    # An invalid field's bar is on its right (the start side in Arabic).
    page.route("**/static/countersign.js*", lambda route: route.abort())
    page.goto(f"{SIGN}?lang=ar")
    page.click("button[type=submit]")
    field = page.locator(".field.invalid").first
    assert field.evaluate("e => getComputedStyle(e).borderRightWidth") == "4px"
    assert field.evaluate("e => getComputedStyle(e).borderLeftWidth") == "0px"
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_dashboard_script_keeps_numbers_in_the_page_language(page, stack, email):
    from tests.support.browser import sign_by_api

    page.goto("/petitions/demo/dashboard?lang=fr")
    before = page.text_content("[data-total]")
    sign_by_api(stack, email, "FR")
    expect(page.locator("[data-total]")).not_to_have_text(before, timeout=15_000)
    text = page.text_content("[data-total]")
    assert "," not in text  # French groups with spaces, never commas
    name = page.locator('li[data-code="FR"] .name')
    expect(name).to_have_text("France")
