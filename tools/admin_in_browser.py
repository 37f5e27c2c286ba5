"""Signing in to the local admin area in Chromium, as a person would: ask for a link, open the mail, use it.

Dev-only: the browser tests and the docs' screenshots both drive the local
stack this way (`make run`'s default admin address, the `.eml` files its mail
server keeps).
"""
from __future__ import annotations

import email
import re
import time
from email import policy


def admin_address(stack) -> str:
    """The address the stack lets sign in (make run's default, or ADMIN_ALLOWLIST)."""
    return stack.env["ADMIN_ALLOWLIST"].split(",")[0]


def latest_link(stack, after: float) -> str:
    """The sign-in link in the newest mail the stack wrote after ``after`` (waits a little for it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        files = sorted(p for p in stack.mail_dir.glob("*.eml") if p.stat().st_mtime >= after) \
            if stack.mail_dir.is_dir() else []
        if files:
            message = email.message_from_bytes(files[-1].read_bytes(), policy=policy.default)
            assert message["To"] == admin_address(stack)
            body = message.get_body(("plain",))
            link = re.search(r"https?://\S+/admin/sign-in/\S+", body.get_content()) if body else None
            assert link is not None, "the sign-in mail has no sign-in link"
            return link.group(0)
        time.sleep(0.1)
    raise AssertionError("no sign-in mail arrived")


def sign_in(page, stack) -> None:
    from playwright.sync_api import expect

    page.goto("/admin")
    expect(page).to_have_url(re.compile(r"/admin/sign-in$"))  # anonymous: the sign-in page
    asked = time.time() - 1
    page.fill("#email", admin_address(stack))
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    link = latest_link(stack, asked)
    assert link.startswith(stack.base_url)  # built from the configured address
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Petitions")).to_be_visible()


def session_cookie(page, stack) -> None:
    """A session made the way signing in makes one, without a mailed link.

    Each address may ask for five links in 15 minutes, so the browser tests
    walk through the mail once per flow they test (``sign_in``) and otherwise
    start with this.
    """
    import os

    from chalicelib.admin import sessions
    from tools.caches import reset_caches

    saved = dict(os.environ)
    os.environ.update(stack.env)
    reset_caches()
    try:
        _, value = sessions.start(admin_address(stack))
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_caches()
    page.context.add_cookies([{"name": sessions.COOKIE, "value": value, "url": stack.base_url}])
