"""The admin area in Chromium: sign in from the mailed link, run a petition's life, and the doors that stay shut."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import violations
from tools.admin_in_browser import session_cookie, sign_in

pytestmark = pytest.mark.browser

ADMIN_URLS = ["/admin", "/admin/new", "/admin/audit", "/admin/petitions/demo", "/admin/petitions/demo/edit"]


@pytest.fixture
def admin_page(page, stack):
    sign_in(page, stack)
    return page


def test_a_campaign_from_sign_in_to_closed(admin_page, stack):
    page = admin_page
    page.route("https://images.example.org/**", lambda route: route.abort())  # no network here
    page.get_by_role("link", name="Create a petition").click()
    page.fill("#petition_id", "browser-camp")
    page.fill("#title", "Keep the library open")
    page.fill("#summary", "Our town's library is the only free place to study.")
    page.fill("#goal", "5000")
    page.fill("#asks", "Keep the opening hours\nFund the children's room\nListen to the users")
    page.fill("#body", "## Why it matters\n\nExams are coming. <script>alert(1)</script>")
    # The live preview follows the typing, rendered and sanitised by the server.
    preview = page.locator("[data-preview]")
    expect(preview.locator("h3", has_text="Why it matters")).to_be_visible()
    expect(preview.locator("ol.asks li")).to_have_count(3)
    assert preview.locator("script").count() == 0
    page.fill("#image_url", "https://images.example.org/library.jpg")
    page.fill("#image_alt", "Students at the library's long tables")
    page.fill("#image_credit", "Photo: Friends of the Library")
    page.fill("#organiser_name", "Friends of the Library")
    page.fill("#organiser_url", "https://library.example.org")
    page.select_option("#featured_country", "GB")
    page.fill("#country_targets", "GB 1\nFR 5")
    expect(preview.locator("img")).to_have_attribute("alt", "Students at the library's long tables")
    page.get_by_role("button", name="Create the petition").click()
    expect(page.get_by_role("heading", name="Keep the library open")).to_be_visible()
    expect(page.locator(".state")).to_have_text("draft")
    assert page.request.get(f"{stack.base_url}/petitions/browser-camp/sign").status == 404  # a draft is private

    page.get_by_role("button", name="Open it").click()
    expect(page.locator(".state")).to_have_text("open")
    page.goto("/petitions/browser-camp/sign")
    expect(page.get_by_role("heading", name="Keep the library open", level=1)).to_be_visible()
    expect(page.locator("ol.asks li")).to_have_count(3)
    expect(page.locator("figure.hero img")).to_have_attribute("alt", "Students at the library's long tables")
    expect(page.locator("figcaption")).to_have_text("Photo: Friends of the Library")
    expect(page.get_by_role("link", name="Friends of the Library")).to_have_attribute(
        "href", "https://library.example.org")
    expect(page.get_by_text("0 of 2 countries over their threshold")).to_be_visible()
    expect(page.locator("form[data-sign-form]")).to_be_visible()

    page.goto("/admin/petitions/browser-camp")
    page.get_by_role("button", name="Close it").click()
    expect(page.locator(".state")).to_have_text("closed")
    page.goto("/petitions/browser-camp/sign")
    expect(page.get_by_role("heading", name="This petition is closed")).to_be_visible()
    expect(page.get_by_text("Final figures")).to_be_visible()
    expect(page.locator("form[data-sign-form]")).to_have_count(0)

    page.goto("/admin/audit")
    for action in ("create", "open", "close"):
        expect(page.locator(".audit strong", has_text=re.compile(f"^{action}$")).first).to_be_visible()


def test_anonymous_and_signed_out_visitors_get_the_sign_in_page(browser, stack):
    context = browser.new_context(base_url=stack.base_url)
    page = context.new_page()
    for path in ADMIN_URLS:
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/admin/sign-in$"))
        expect(page.get_by_role("heading", name="Sign in to the admin area")).to_be_visible()
    sign_in(page, stack)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/admin/sign-in$"))
    for path in ADMIN_URLS:
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/admin/sign-in$"))
    context.close()


def test_a_post_from_another_site_or_without_the_token_changes_nothing(admin_page, stack):
    page = admin_page
    # A page on another site submits a form to the admin area: the session cookie (SameSite=Strict) stays home.
    form = (f'<!doctype html><form method="post" action="{stack.base_url}/admin/petitions/demo/status">'
            '<input name="change" value="close"><button>Go</button></form>')
    page.route("https://elsewhere.example/**", lambda route: route.fulfill(body=form, content_type="text/html"))
    page.goto("https://elsewhere.example/")
    with page.expect_navigation():
        page.click("button")
    expect(page).to_have_url(re.compile(r"/admin/sign-in$"))
    # A page of the same site (the cookie goes along) without the token: refused.
    page.goto("/admin")
    page.set_content(f'<form method="post" action="{stack.base_url}/admin/petitions/demo/status">'
                     '<input name="change" value="close"><button>Go</button></form>')
    with page.expect_navigation():
        page.click("button")
    expect(page.get_by_role("heading", name="That didn't come from this site")).to_be_visible()
    answer = page.request.post(f"{stack.base_url}/admin/petitions/demo/status", form={"change": "close"})
    assert answer.status == 403
    assert page.request.get(f"{stack.base_url}/petitions/demo").json()["status"] == "open"


@pytest.mark.parametrize("device", ["page", "phone"])
def test_admin_pages_have_no_accessibility_violations(request, stack, device):
    page = request.getfixturevalue(device)
    page.goto("/admin/sign-in")
    assert violations(page) == []
    sign_in(page, stack)
    for path in ["/admin", "/admin/new", "/admin/petitions/demo", "/admin/petitions/demo/edit", "/admin/audit"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], path


@pytest.mark.parametrize("device", ["page", "phone"])
def test_partner_links_count_apart_on_an_accessible_admin_page(request, stack, device):
    """Register partner codes, sign through a partner's link and without one, and read both tables."""
    import json
    import urllib.request

    page = request.getfixturevalue(device)
    session_cookie(page, stack)
    petition = f"sources-{device}"
    page.goto("/admin/new")
    page.fill("#petition_id", petition)
    page.fill("#title", "Count our partners")
    page.fill("#summary", "Each partner's link counts apart.")
    page.fill("#goal", "100")
    page.fill("#sources", "partner-x\nnewsletter")
    page.get_by_role("button", name="Create the petition").click()
    page.get_by_role("button", name="Open it").click()
    expect(page.locator(".state")).to_have_text("open")
    link = page.locator("input[readonly]").first
    expect(link).to_have_value(re.compile(rf"/petitions/{petition}/sign\?source=newsletter$"))
    page.goto(f"/petitions/{petition}/sign?source=partner-x")
    assert page.locator('input[name="source"]').get_attribute("value") == "partner-x"
    for i, source in enumerate(["partner-x", "partner-x", "made-up", None]):
        body = {"name": "Partner Signer", "email": f"src-{device}-{i}@example.org", "country": "FR", "consent": True}
        if source:
            body["source"] = source
        answer = urllib.request.urlopen(urllib.request.Request(
            f"{stack.base_url}/petitions/{petition}/signatures", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}))
        assert answer.status == 202
    page.goto(f"/admin/petitions/{petition}")
    for _ in range(50):  # the stream runner counts them within a moment
        if page.locator("#latest-heading ~ .table-wrap tbody tr").count() == 4:
            break
        page.wait_for_timeout(200)
        page.reload()
    rows = page.locator("#sources-heading ~ .table-wrap tbody tr")
    expect(rows.first).to_contain_text("partner-x")
    expect(rows.first).to_contain_text("50.0%")
    expect(page.get_by_role("table", name=re.compile("^Confirmed signatures by the link"))).to_be_visible()
    expect(page.locator("#latest-heading ~ .table-wrap tbody tr")).to_have_count(4)
    expect(page.locator("#latest-heading ~ .table-wrap")).to_contain_text("France")
    assert "Partner Signer" not in page.content()
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
