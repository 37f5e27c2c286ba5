"""A signed-in admin for tests: the emailed link caught in an outbox, and a test client with a cookie jar.

Its fixtures (``public_base_url``, ``outbox``, ``admin``) reach every test through tests/conftest.py.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from chalicelib.aws import config

ADMIN = "admin@example.org"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def public_base_url(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://sign.example.org")
    config.reset()
    config.settings()
    yield "https://sign.example.org"
    monkeypatch.undo()
    config.reset()


class Outbox:
    def __init__(self):
        self.sent: list[dict] = []

    def __call__(self, to, subject, text, html):
        self.sent.append({"to": to, "subject": subject, "text": text, "html": html})

    def link(self) -> str:
        return re.search(r"https?://\S+", self.sent[-1]["text"]).group(0)


@pytest.fixture
def outbox(monkeypatch):
    box = Outbox()
    from chalicelib.admin import outbox as real

    monkeypatch.setattr(real, "send", box)
    monkeypatch.setattr("chalicelib.admin.sign_in_views.outbox.send", box)
    from chalicelib.admin import sign_in_views

    defaults = list(sign_in_views.sign_in_request.__wrapped__.__defaults__)
    monkeypatch.setattr(sign_in_views.sign_in_request.__wrapped__, "__defaults__", (box, *defaults[1:]))
    return box


class Browser:
    """The Chalice test client with a cookie jar, as a browser on the admin area."""

    def __init__(self, client):
        self.client, self.jar = client, {}

    def _headers(self, extra):
        cookie = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        return {**({"Cookie": cookie} if cookie else {}), **(extra or {})}

    def _keep(self, response):
        raw = response.headers.get("Set-Cookie") or response.headers.get("set-cookie")
        values = raw if isinstance(raw, list) else ([raw] if raw else [])
        for value in values:
            for piece in re.split(r",\s*(?=[a-z_]+=)", value):
                name, _, rest = piece.partition("=")
                content = rest.split(";")[0]
                if "Max-Age=0" in piece:
                    self.jar.pop(name.strip(), None)
                else:
                    self.jar[name.strip()] = content
        return response

    def get(self, path, **headers):
        return self._keep(self.client.get(path, headers=self._headers(headers)))

    def post(self, path, fields=None, headers=None, body=None):
        data = body if body is not None else urlencode(fields or {})
        return self._keep(self.client.post(path, headers=self._headers({**FORM, **(headers or {})}), body=data))

    def csrf(self, page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(browser: Browser, outbox: Outbox, address=ADMIN):
    form = browser.get("/admin/sign-in").body.decode()
    answer = browser.post("/admin/sign-in", {"email": address, "csrf_token": browser.csrf(form)})
    assert answer.status_code == 200
    link = outbox.link()
    path = link.split("sign.example.org", 1)[1]
    confirm = browser.get(path)
    assert confirm.status_code == 200 and "Sign in" in confirm.body.decode()
    done = browser.post(path, {"csrf_token": browser.csrf(confirm.body.decode())})
    assert done.status_code == 303 and done.headers["Location"] == "/admin"
    return done


@pytest.fixture
def admin(client, tables, public_base_url, outbox):
    browser = Browser(client)
    sign_in(browser, outbox)
    return browser
