"""Helpers for the browser tests."""
from __future__ import annotations

import json
import time
import urllib.request


def open_mail(page, stack, email):
    """The local mail page, then the newest message to this address."""
    page.goto(stack.mail_url + "/")
    row = page.locator("ol.mail li", has_text=email).first
    deadline = time.monotonic() + 30
    while row.count() == 0:
        assert time.monotonic() < deadline, "no mail arrived"
        time.sleep(0.2)
        page.reload()
    row.get_by_role("link").click()


def _context(browser, csp_violations, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    csp_violations.attach(context)
    return context


SIGN = "/petitions/demo/sign"


def sign_by_api(stack, email, country):
    body = json.dumps({"name": "Api Signer", "email": email, "country": country, "consent": True}).encode()
    request = urllib.request.Request(f"{stack.base_url}/petitions/demo/signatures", data=body,
                                     headers={"Content-Type": "application/json"})
    assert urllib.request.urlopen(request).status == 202
