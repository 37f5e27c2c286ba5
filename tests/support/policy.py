"""Checks that a page keeps to its Content-Security-Policy."""
from __future__ import annotations

import base64
import hashlib
import json
from html.parser import HTMLParser


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


class Markup(HTMLParser):
    def __init__(self, page: str):
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self.styles: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self._open: str | None = None
        self._attrs: dict = {}
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.attributes += [(name, value or "") for name, value in attrs]
        if tag in ("script", "style"):
            self._open, self._attrs = tag, dict(attrs)
            if tag == "script":
                self.scripts.append((self._attrs, ""))
            else:
                self.styles.append("")

    def handle_endtag(self, tag):
        self._open = None

    def handle_data(self, data):
        if self._open == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._open == "style":
            self.styles[-1] += data


def assert_strict_page(response, path="/"):
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Pages reached by a link carrying a token (confirmation, admin sign-in) leak it to nobody, and the
    # removal pages tell no other site that someone is leaving.
    token_in_address = "/confirm" in path or "/remove" in path or path.startswith("/admin/sign-in/")
    assert response.headers["Referrer-Policy"] == ("no-referrer" if token_in_address
                                                   else "strict-origin-when-cross-origin")
    assert "camera=()" in response.headers["Permissions-Policy"]
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'self'" in policy["form-action"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)
    assert "Strict-Transport-Security" not in response.headers  # not set outside a deployed stage


def assert_nothing_inline_the_policy_refuses(response):
    page = Markup(response.body.decode())
    policy = directives(response.headers["Content-Security-Policy"])
    # Scripts: only files, or data blocks that the browser never runs.
    for attrs, text in page.scripts:
        if attrs.get("type") == "application/json":
            json.loads(text)
        else:
            assert attrs.get("src") and not text.strip(), attrs
    # Styles: the one stylesheet, allowed by the hash of exactly its text.
    [style] = page.styles
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert policy["style-src"] == [f"'sha256-{digest}'"]
    assert not [name for name, _ in page.attributes if name == "style" or name.startswith("on")]
    assert not [value for _, value in page.attributes if value.strip().lower().startswith("javascript:")]
