"""A petition with the CAPTCHA on, in Chromium: the widget's place and words, axe, and signing with its token.

The real Turnstile script cannot load here (no network), so the browser is
handed a stand-in at Turnstile's own address (the page's Content-Security-
Policy must allow it there): it does what the widget does for a form, adds
the hidden ``cf-turnstile-response`` field with the token Turnstile's test
site key gives, and the local siteverify stub (started by the dev stack)
passes that token. The page's own words and structure are what axe checks.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import violations
from tools import siteverify_stub

pytestmark = pytest.mark.browser

WIDGET = """
window.turnstile = { reset: function () { window.turnstileResets = (window.turnstileResets || 0) + 1; } };
document.querySelectorAll(".cf-turnstile").forEach(function (box) {
  var input = document.createElement("input");
  input.type = "hidden";
  input.name = box.getAttribute("data-response-field-name") || "cf-turnstile-response";
  input.value = "%s";
  box.appendChild(input);
});
""" % siteverify_stub.DUMMY_TOKEN


@pytest.fixture(scope="module")
def guarded(stack):
    subprocess.run([sys.executable, "-m", "tools.petition_admin", "create", "under-attack", "--title",
                    "A petition under attack", "--summary", "Scripts are signing it.", "--goal", "1000",
                    "--challenge"], env=stack.env, check=True, capture_output=True)
    return "under-attack"


def with_widget(page):
    page.route(siteverify_stub_script(), lambda route: route.fulfill(status=200, body=WIDGET,
                                                                      content_type="text/javascript"))
    return page


def siteverify_stub_script() -> str:
    from chalicelib.fraud import challenge

    return challenge.SCRIPT_URL


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("device", ["page", "phone"])
def test_the_challenge_page_has_no_accessibility_violations(request, guarded, device, language):
    page = with_widget(request.getfixturevalue(device))
    page.goto(f"/petitions/{guarded}/sign?lang={language}")
    page.wait_for_load_state("networkidle")
    assert page.locator("#challenge-why").is_visible()
    assert page.locator(".cf-turnstile input[name='cf-turnstile-response']").count() == 1  # the script ran
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_the_page_without_the_script_still_says_why_and_has_no_violations(page, guarded):
    page.route(siteverify_stub_script(), lambda route: route.abort())  # as when Cloudflare is unreachable
    page.goto(f"/petitions/{guarded}/sign")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#challenge-why")).to_contain_text("automated signatures")
    assert violations(page) == []


def test_signing_with_the_widgets_token_thanks_the_signer(page, guarded):
    with_widget(page)
    page.goto(f"/petitions/{guarded}/sign")
    page.fill("#name", "Chidi Okafor")
    page.fill("#email", "chidi.challenge@example.org")
    page.select_option("#country", "NG")
    page.check("#consent")
    page.click("[data-submit]")
    expect(page.locator("[data-thanks-heading]")).to_be_visible()


def test_without_a_token_the_error_shows_in_place(page, guarded):
    page.route(siteverify_stub_script(), lambda route: route.fulfill(
        status=200, content_type="text/javascript",
        body="window.turnstile = {reset: function () { window.turnstileResets = (window.turnstileResets||0)+1; }};"))
    page.goto(f"/petitions/{guarded}/sign")
    page.fill("#name", "Chidi Okafor")
    page.fill("#email", "chidi.notoken@example.org")
    page.select_option("#country", "NG")
    page.check("#consent")
    page.click("[data-submit]")
    expect(page.locator("#error-summary")).to_contain_text("check that you are a person")
    assert violations(page) == []
