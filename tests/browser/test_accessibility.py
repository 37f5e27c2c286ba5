"""Every public page at zero WCAG 2.2 AA violations under axe-core, on a desktop and a 360 px phone."""
from __future__ import annotations

import pytest

from chalicelib.i18n import LANGUAGES
from tests.browser.accessibility import violations

pytestmark = pytest.mark.browser

PAGES = ["/", "/petitions/demo/sign", "/petitions/demo/thanks", "/petitions/demo/dashboard", "/privacy",
         "/petitions/no-such-petition/sign",
         # "Remove my signature": the form, and a link's page when the link is broken.
         "/petitions/demo/remove", "/petitions/demo/remove/confirm?token=not-a-token",
         # The campaign-updates opt-in link, broken (its button and answer: tests/browser/test_updates_in_browser.py).
         "/petitions/demo/updates/confirm?token=not-a-token"]
# The campaign page's other states: a petition with an image, targets and an organiser link; a closed one.
CAMPAIGN_PAGES = ["/petitions/a11y-campaign/sign", "/petitions/a11y-campaign/dashboard",
                  "/petitions/a11y-closed/sign", "/petitions/a11y-closed/dashboard"]


@pytest.fixture(scope="module")
def campaign_petitions(stack):
    """Petitions in the campaign page's other states, made with `make petition` against the session's stack."""
    import subprocess
    import sys

    def petition_admin(*args):
        subprocess.run([sys.executable, "-m", "tools.petition_admin", *args], env=stack.env, check=True,
                       capture_output=True)

    petition_admin("create", "a11y-campaign", "--title", "A campaign with everything", "--summary", "Why it matters.",
                   "--goal", "1000", "--ask", "The first ask", "--ask", "The second ask",
                   "--body", "## Background\n\nSome **context** and [a link](https://example.org/why).",
                   "--image-url", "https://images.example.org/photo.jpg", "--image-alt", "People at a crossing",
                   "--image-credit", "Photo: A. Photographer", "--organiser-name", "A charity",
                   "--organiser-url", "https://example.org", "--featured-country", "GB",
                   "--target", "GB=10", "--target", "FR=5")
    petition_admin("create", "a11y-closed", "--title", "A closed petition", "--summary", "It has ended.",
                   "--goal", "100", "--ask", "One ask", "--featured-country", "GB")
    petition_admin("close", "a11y-closed")


@pytest.mark.parametrize("language", ["en", "ar"])  # left to right and right to left
@pytest.mark.parametrize("path", CAMPAIGN_PAGES)
@pytest.mark.parametrize("device", ["page", "phone"])
def test_campaign_states_have_no_accessibility_violations(request, campaign_petitions, device, path, language):
    page = request.getfixturevalue(device)
    page.route("https://images.example.org/**", lambda route: route.abort())  # no network here, nor in CI
    page.goto(f"{path}?lang={language}")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("device", ["page", "phone"])
def test_page_has_no_accessibility_violations(request, device, path, language):
    page = request.getfixturevalue(device)
    page.goto(f"{path}{'&' if '?' in path else '?'}lang={language}")
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == language
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("device", ["page", "phone"])
def test_form_re_rendered_with_errors_has_no_accessibility_violations(request, device, language):
    """The server's 422 page, as a browser without our script gets it (axe itself still needs JavaScript)."""
    page = request.getfixturevalue(device)
    page.route("**/static/countersign.js*", lambda route: route.abort())
    page.goto(f"/petitions/demo/sign?lang={language}")
    page.fill("#email", "not-an-email")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.locator("#error-summary").wait_for()
    assert violations(page) == []


def test_the_check_finds_a_violation_when_there_is_one(page):
    """The check itself works: an image without alternative text is reported."""
    page.goto("/privacy")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/x.png\">')")
    assert any(line.startswith("image-alt") for line in violations(page))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("device", ["page", "phone"])
def test_removal_answer_has_no_accessibility_violations(request, device, language):
    """The page after asking for a removal link (the same for every address), and the form with its error."""
    page = request.getfixturevalue(device)
    page.goto(f"/petitions/demo/remove?lang={language}")
    page.fill("#email", "not-an-email")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.locator("#error-summary").wait_for()
    assert page.get_attribute("html", "lang") == language
    assert violations(page) == []
    page.fill("#email", "nobody@example.org")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.get_attribute("html", "lang") == language
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
