"""Direct signing in a browser: the page on the site, the signature posted straight to the API's own address.

Deployed, the site is the CloudFront distribution and the API its origin;
here the same local stack answers as two origins, http://localhost:PORT (the
site) and http://127.0.0.1:PORT (the API), which the browser keeps apart
exactly as it would two hosts: CORS and the pages' Content-Security-Policy
both apply.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import _context

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def two_origins(browser, tmp_path_factory):
    from tools.ddblocal import MissingTool, free_port
    from tools.devstack import DevStack

    port = free_port()
    site, api = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
    try:
        with DevStack(tmp_path_factory.mktemp("direct-stack"), port=port, persist=False,
                      extra_env={"PUBLIC_BASE_URL": site, "SIGN_BASE_URL": api}):
            yield site, api
    except MissingTool as exc:
        pytest.fail(str(exc), pytrace=False)


def test_the_script_posts_the_signature_to_the_api_across_sites_with_no_preflight(browser, two_origins,
                                                                                   csp_violations, email):
    site, api = two_origins
    context = _context(browser, csp_violations, base_url=site, locale="en-GB")
    page = context.new_page()
    methods = []
    page.on("request", lambda r: methods.append((r.method, r.url)) if "/signatures" in r.url else None)
    page.goto("/petitions/demo/sign")
    page.fill("#name", "Amina Yusuf")
    page.fill("#email", email)
    page.check("#consent")
    with page.expect_response(f"{api}/petitions/demo/signatures?lang=en") as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 202
    assert answer.value.headers["access-control-allow-origin"] == site
    assert "consent=yes" in answer.value.request.post_data  # a form body, not JSON
    assert answer.value.request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    expect(page.get_by_role("heading", name="Thank you for signing")).to_be_visible()
    # One request (no OPTIONS preflight), naming the page's language for the answer's words.
    assert methods == [("POST", f"{api}/petitions/demo/signatures?lang=en")]
    context.close()


def test_invalid_fields_come_back_in_place_across_sites(browser, two_origins, csp_violations):
    site, _ = two_origins
    context = _context(browser, csp_violations, base_url=site, locale="en-GB")
    page = context.new_page()
    page.goto("/petitions/demo/sign")
    page.fill("#name", "Amina Yusuf")
    page.fill("#email", "not-an-email")
    page.click("button[type=submit]")
    expect(page.locator("#email-error")).to_contain_text("Enter a valid email address")
    expect(page.locator("#consent-error")).to_contain_text("privacy notice")
    assert page.url == f"{site}/petitions/demo/sign"
    context.close()
