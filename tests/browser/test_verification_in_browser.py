"""Verified signatures in Chromium: sign, read the mail on the local mail page, follow the link, confirm, see the count.

And every new page at zero WCAG 2.2 AA violations under axe-core, on a desktop and a 360 px phone.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import violations
from tests.support.browser import open_mail

pytestmark = pytest.mark.browser

PETITION = "verified-in-browser"
SIGN = f"/petitions/{PETITION}/sign"


@pytest.fixture(scope="session")
def verified_petition(stack):
    from tools.devstack import ROOT

    result = subprocess.run([sys.executable, "-m", "tools.petition_admin", "create", PETITION, "--title",
                             "Protect people seeking asylum", "--summary", "Five asks to world leaders.",
                             "--goal", "1000", "--require-verification"],
                            cwd=ROOT, env=stack.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return PETITION


def fill_form(page, email):
    page.fill("#name", "Amina Yusuf")
    page.fill("#email", email)
    page.select_option("#country", "GB")
    page.check("#consent")




def total_on(page) -> int:
    return int(re.sub(r"\D", "", page.text_content("[data-total]")))


def test_sign_read_the_mail_confirm_and_see_the_dashboard_move(page, stack, verified_petition, email):
    page.goto(f"/petitions/{PETITION}/dashboard")
    before = total_on(page)
    page.goto(SIGN)
    expect(page.get_by_text("Check your email after signing")).to_be_visible()
    fill_form(page, email)
    page.click("button[type=submit]")
    heading = page.get_by_role("heading", name="Check your email to confirm your signature")
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()

    open_mail(page, stack, email)
    expect(page.get_by_role("heading", name="Confirm your signature: Protect people seeking asylum")).to_be_visible()
    page.locator("pre a[href*='/confirm?token=']").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(stack.base_url)}/petitions/{PETITION}/confirm\?token="))
    expect(page.get_by_role("heading", name="Confirm your signature")).to_be_visible()
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Your signature is confirmed")).to_be_visible()

    page.get_by_role("link", name="Watch the count live").click()
    page.wait_for_function(
        "before => Number(document.querySelector('[data-total]').textContent.replace(/\\D/g, '')) > before",
        arg=before, timeout=20_000)


def test_without_javascript_the_form_lands_on_a_thanks_page_that_says_to_check_email(page_without_js,
                                                                                   verified_petition, email):
    page = page_without_js
    page.goto(SIGN)
    fill_form(page, email)
    with page.expect_response("**/signatures?lang=*") as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 303
    expect(page).to_have_url(re.compile(rf"/petitions/{PETITION}/thanks\?lang=en$"))
    expect(page.get_by_role("heading", name="Check your email to confirm your signature")).to_be_visible()


def test_the_confirm_button_works_without_javascript(page_without_js, stack, verified_petition, email):
    page = page_without_js
    page.goto(SIGN)
    fill_form(page, email)
    page.click("button[type=submit]")
    open_mail(page, stack, email)
    page.locator("pre a[href*='/confirm?token=']").click()
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Your signature is confirmed")).to_be_visible()


# ---- accessibility of every new page -------------------------------------------------------

def token_for(stack, key: str, issued: float | None = None) -> str:
    from chalicelib.verification import tokens
    from tools.devstack import verify_token_secret

    return tokens.make(key, now=issued, key=verify_token_secret(stack.state_dir).encode())


def new_pages(stack) -> dict[str, str]:
    """Each new page of the app, by what it shows (signing reaches the ones that need a real signature)."""
    old = time.time() - 30 * 86400
    return {
        "sign": SIGN,
        "thanks": f"/petitions/{PETITION}/thanks",
        "broken link (400)": f"/petitions/{PETITION}/confirm?token=broken",
        "expired link (410)": f"/petitions/{PETITION}/confirm?token={token_for(stack, PETITION + '#x', old)}",
        "signature gone (404)": f"/petitions/{PETITION}/confirm?token={token_for(stack, PETITION + '#gone')}",
    }


@pytest.mark.parametrize("device", ["page", "phone"])
def test_new_pages_have_no_accessibility_violations(request, device, stack, verified_petition):
    page = request.getfixturevalue(device)
    for name, path in new_pages(stack).items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], name
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name


@pytest.mark.parametrize("device", ["page", "phone"])
def test_the_confirm_pages_and_the_local_mail_pages_have_no_accessibility_violations(request, device, stack,
                                                                                    verified_petition, email):
    page = request.getfixturevalue(device)
    page.goto(SIGN)
    fill_form(page, email)
    page.locator("button[type=submit]").click()
    expect(page.get_by_role("heading", name="Check your email to confirm your signature")).to_be_visible()
    assert violations(page) == [], "in-place thanks"
    open_mail(page, stack, email)
    assert violations(page) == [], "local mail message"
    page.goto(stack.mail_url + "/")
    assert violations(page) == [], "local mail list"
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    open_mail(page, stack, email)
    page.locator("pre a[href*='/confirm?token=']").click()
    page.wait_for_load_state("networkidle")
    assert violations(page) == [], "confirm page"
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Your signature is confirmed")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert violations(page) == [], "confirmed page"
    page.go_back()
    page.reload()
    expect(page.get_by_role("heading", name="Your signature is already confirmed")).to_be_visible()
    assert violations(page) == [], "already confirmed page"
