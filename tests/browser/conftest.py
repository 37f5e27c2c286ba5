"""Browser fixtures: one local stack and one headless Chromium for the whole session.

Debian's ``chromium`` is driven through Playwright (whose own browser download
cannot work here). Without it the browser tests skip, except in CI
(``CI=true``), where a missing browser is a failure.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.support.browser import _context

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def chromium_found() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config, items):
    if chromium_found() or IN_CI:
        return
    reason = (f"no Chromium at {CHROMIUM}: install Debian's chromium package (apt-get install chromium) "
              "to run the browser tests")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    if not chromium_found():
        pytest.fail(f"CI=true but there is no Chromium at {CHROMIUM}; .ci/run installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def stack(browser, tmp_path_factory):
    """The whole collector (DynamoDB Local in memory, stream runner, API) for the session."""
    from tools.ddblocal import MissingTool
    from tools.devstack import DevStack

    try:
        with DevStack(tmp_path_factory.mktemp("browser-stack"), persist=False) as running:
            yield running
    except MissingTool as exc:
        pytest.fail(str(exc), pytrace=False)


# Chromium reports each CSP violation in the console; pages also get this listener (injected by the
# DevTools protocol, which the policy does not govern), so a violation is seen however Chromium words it.
VIOLATION_PREFIX = "CSP violation:"
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("%s " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile +
                ":" + e.lineNumber);
});
""" % VIOLATION_PREFIX


class ConsoleWatch:
    """Collects every Content-Security-Policy violation that pages of one test report."""

    def __init__(self):
        self.violations: list[str] = []

    def attach(self, context) -> None:
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._on_console)

    def _on_console(self, message) -> None:
        text = message.text
        if text.startswith(VIOLATION_PREFIX) or "Content Security Policy" in text:
            self.violations.append(f"{message.type}: {text}")


@pytest.fixture
def csp_violations():
    """Fails the test (at teardown) if any of its pages reported a CSP violation in the console."""
    watch = ConsoleWatch()
    yield watch
    if watch.violations:
        pytest.fail("Content-Security-Policy violations in the console:\n" + "\n".join(watch.violations),
                    pytrace=False)




@pytest.fixture
def page(browser, stack, csp_violations):
    """A desktop page with JavaScript, in an English (UK) browser."""
    context = _context(browser, csp_violations, base_url=stack.base_url, viewport={"width": 1280, "height": 900},
                       locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_js(browser, stack, csp_violations):
    context = _context(browser, csp_violations, base_url=stack.base_url, java_script_enabled=False, locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser, stack, csp_violations):
    """360 px wide, the narrowest common phone."""
    context = _context(browser, csp_violations, base_url=stack.base_url, viewport={"width": 360, "height": 740},
                       device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def email():
    """A fresh address: each signer in these tests is a new person."""
    return f"signer-{uuid.uuid4().hex[:10]}@example.org"
