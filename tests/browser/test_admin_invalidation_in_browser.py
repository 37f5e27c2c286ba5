"""The admin's invalidation panel in Chromium: a burst previewed by country, invalidated, gone from the total."""
from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import violations
from tools.admin_in_browser import session_cookie

pytestmark = pytest.mark.browser

BURST_ADDRESS = "203.0.113.99"


def sign_from(stack, address: str, n: int, petition: str = "demo") -> None:
    for i in range(n):
        body = json.dumps({"name": f"Script {i}", "email": f"burst{i}.{address}@example.net", "country": "FR",
                           "consent": True}).encode()
        request = urllib.request.Request(f"{stack.base_url}/petitions/{petition}/signatures", data=body, headers={
            "Content-Type": "application/json", "X-Forwarded-For": address}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert reply.status == 202


@pytest.mark.parametrize("device", ["page", "phone"])
def test_preview_then_invalidate_with_no_accessibility_violations(request, stack, device):
    page = request.getfixturevalue(device)
    address = f"{BURST_ADDRESS[:-2]}{10 + (device == 'phone')}"  # each run its own burst
    sign_from(stack, address, 3)
    session_cookie(page, stack)
    page.goto("/admin/petitions/demo")
    page.fill("#inv-ip", address)
    page.click("text=Preview: how many match?")
    expect(page.locator("[role=status]")).to_contain_text("3 signatures match")
    expect(page.locator("table")).to_contain_text("France")
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.click("text=Invalidate these 3")
    expect(page.locator("#result-heading")).to_have_text("Done")
    expect(page.locator("[role=status]")).to_contain_text("3 signatures invalidated")
    assert violations(page) == []
    page.fill("#inv-ip", "not an address")
    page.click("text=Preview: how many match?")
    expect(page.locator("#error-summary")).to_contain_text("not an IP address")
    assert violations(page) == []
