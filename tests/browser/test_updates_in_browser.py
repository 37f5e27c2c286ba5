"""Campaign updates on a petition without verification, in Chromium: tick the box, read the mail, press the button.

The local stack's stream runner feeds the mailer with the deployed filter, so
this also shows the opt-in record getting through it. The link's page and its
answer are checked with axe-core in every language and at phone width.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chalicelib.i18n import LANGUAGES
from tests.browser.accessibility import violations
from tests.support.browser import open_mail

pytestmark = pytest.mark.browser


def opt_in_link(page, stack, email) -> str:
    page.goto("/petitions/demo/sign")
    page.fill("#name", "Amina Yusuf")
    page.fill("#email", email)
    page.select_option("#country", "GB")
    page.check("#updates_opt_in")
    page.check("#consent")
    page.click("button[type=submit]")
    open_mail(page, stack, email)
    link = page.locator("pre a[href*='/updates/confirm?token=']").first
    return link.get_attribute("href")


def test_the_opt_in_link_and_its_answer_in_every_language(page, phone, stack, email):
    link = opt_in_link(page, stack, email)
    for language in LANGUAGES:
        for tab in (page, phone):
            tab.goto(f"{link}&lang={language}")
            assert tab.get_attribute("html", "lang") == language
            assert violations(tab) == []
            assert tab.evaluate("document.documentElement.scrollWidth") <= tab.viewport_size["width"]
    page.goto(f"{link}&lang=en")
    page.get_by_role("button", name="Yes, send me news of the campaign").click()
    expect(page.get_by_role("heading", name="You will get news of the campaign")).to_be_visible()
    assert violations(page) == []
    page.goto(f"{link}&lang=fr")             # pressed before: the page says so, in French
    expect(page.get_by_role("heading", name="Vous avez déjà demandé des nouvelles de la campagne")).to_be_visible()
    assert violations(page) == []
