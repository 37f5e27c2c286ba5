"""The embeddable form on a partner's page from another origin, in Chromium: it signs, and the frame fits it."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import violations

pytestmark = pytest.mark.browser



class PartnerSite:
    """A partner's own web server on another port (another origin), serving one page that embeds the form."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                body = site.pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site():
    running = PartnerSite()
    yield running
    running.close()


def partner_page(stack, lang="en") -> str:
    return (f'<!doctype html><html lang="en"><head><title>A partner</title></head><body><main><h1>Our campaign</h1>'
            f'<iframe src="{stack.base_url}/petitions/demo/embed?lang={lang}" title="Sign the petition" width="100%"'
            f' height="200" data-countersign-embed></iframe>'
            f'<script src="{stack.base_url}/static/embed-host.js"></script></main></body></html>')


@pytest.fixture
def partner(page, stack, site):
    site.pages["/campaign"] = partner_page(stack)
    page.goto(f"{site.origin}/campaign")
    return page


def test_the_form_signs_from_an_iframe_on_another_origin_and_fits_its_frame(partner, email):
    frame = partner.frame_locator("iframe[data-countersign-embed]")
    expect(frame.get_by_label("Full name")).to_be_visible()
    iframe = partner.locator("iframe[data-countersign-embed]")
    # The frame grew from 200 px to the form's height, told by postMessage.
    partner.wait_for_function("document.querySelector('iframe').getBoundingClientRect().height > 400")
    form_height = iframe.bounding_box()["height"]
    frame.get_by_label("Full name").fill("Amina Yusuf")
    frame.get_by_label("Email address").fill(email)
    frame.locator("#country").select_option("GB")
    frame.locator("#consent").check()
    frame.get_by_role("button", name="Sign the petition").click()
    expect(frame.get_by_role("heading", name="Thank you for signing")).to_be_visible()
    # The thanks is shorter than the form: the frame shrinks to it, showing all of it.
    partner.wait_for_function(f"document.querySelector('iframe').getBoundingClientRect().height < {form_height - 100}")
    content = frame.locator("body").evaluate("b => b.getBoundingClientRect().height")
    assert abs(iframe.bounding_box()["height"] - content) < 40


def test_without_javascript_in_the_frame_the_form_still_signs(browser, stack, site, email):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    site.pages["/campagne"] = partner_page(stack, "fr")
    page.goto(f"{site.origin}/campagne")
    frame = page.frame_locator("iframe")
    frame.get_by_label("Nom complet").fill("Amina Yusuf")
    frame.get_by_label("Adresse e-mail").fill(email)
    frame.locator("#country").select_option("FR")
    frame.locator("#consent").check()
    frame.get_by_role("button", name="Signer la pétition").click()
    expect(frame.get_by_role("heading", name="Merci d’avoir signé")).to_be_visible()
    context.close()


def test_other_pages_refuse_to_show_in_a_partners_frame(browser, stack, site):
    # Not the page fixture: the refusal itself is reported as a CSP violation, which that fixture fails on.
    context = browser.new_context()
    page = context.new_page()
    refusals = []
    page.on("console", lambda message: refusals.append(message.text) if "frame-ancestors" in message.text else None)
    site.pages["/framing"] = (f'<!doctype html><title>x</title>'
                              f'<iframe src="{stack.base_url}/petitions/demo/sign"></iframe>')
    page.goto(f"{site.origin}/framing")
    page.wait_for_timeout(1000)
    frame = page.frames[1]
    assert "Sign the petition" not in (frame.content() if frame else "")
    assert refusals  # Chromium says why: the page's frame-ancestors
    context.close()


@pytest.mark.parametrize("device", ["page", "phone"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_embed_has_no_accessibility_violations(request, device, language):
    page = request.getfixturevalue(device)
    page.goto(f"/petitions/demo/embed?lang={language}")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
