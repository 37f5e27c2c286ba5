"""Every public page at zero WCAG 2.2 AA violations under axe-core, on a desktop and a 360 px phone."""
from __future__ import annotations

import pytest

from tests.browser.accessibility import violations

pytestmark = pytest.mark.browser

PAGES = ["/", "/petitions/demo/sign", "/petitions/demo/thanks", "/petitions/demo/dashboard", "/privacy",
         "/petitions/no-such-petition/sign"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("device", ["page", "phone"])
def test_page_has_no_accessibility_violations(request, device, path):
    page = request.getfixturevalue(device)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


@pytest.mark.parametrize("device", ["page", "phone"])
def test_form_re_rendered_with_errors_has_no_accessibility_violations(request, device):
    """The server's 422 page, as a browser without our script gets it (axe itself still needs JavaScript)."""
    page = request.getfixturevalue(device)
    page.route("**/static/countersign.js*", lambda route: route.abort())
    page.goto("/petitions/demo/sign")
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
