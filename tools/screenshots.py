"""Screenshots of the pages for the docs, taken in headless Chromium against the local stack. Dev-only.

    python -m tools.screenshots            # writes docs/*.png
    python -m tools.screenshots languages  # only the other languages' pages (docs/*-fr-*.png, *-ar-*.png)

The demo petition gets illustrative totals (about 1.1 million signatures, some
8,500 of them from the UK, spread over many countries) written straight into
its totals item, so the dashboard is not empty.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from chalicelib.aws import clock
from chalicelib.tally import totals

DOCS = Path(__file__).resolve().parent.parent / "docs"
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Illustrative figures for the demo; they sum to a little over 1.1 million.
DEMO_TOTALS = {
    "DE": 176_420, "FR": 139_880, "IT": 101_250, "ES": 92_310, "US": 71_940, "BR": 58_760,
    "NL": 47_030, "CA": 41_570, "MX": 36_210, "SE": 33_480, "BE": 29_640, "AU": 27_110,
    "CH": 24_890, "AT": 22_470, "PT": 20_150, "IE": 17_920, "NO": 16_480, "DK": 15_060,
    "AR": 14_380, "CO": 13_240, "PL": 12_770, "IN": 12_030, "JP": 10_860, "ZA": 9_920,
    "KE": 9_310, "GB": 8_540, "NG": 8_120, "FI": 7_640, "TR": 7_210, "UG": 6_830,
    "NZ": 6_390, "CL": 6_040, "GR": 5_710, "PE": 5_380, "JO": 4_960, "LB": 4_620,
    "PK": 4_310, "BD": 3_980, "ET": 3_640, "EG": 3_310, "MA": 2_990, "PH": 2_670,
    "ID": 2_360, "TZ": 2_040, "GH": 1_720, "CZ": 1_410, "HU": 1_120, "RO": 880,
    "SN": 640, "VE": 410, "IS": 230, "LU": 120, "MT": 60, "NP": 24,
}


def seed(stack, petition_id: str = "demo") -> None:
    stack.client().update_item(TableName=stack.tables["TOTALS_TABLE"],
                               **totals.set_counts_arguments(petition_id, DEMO_TOTALS, clock.stamp()))


# The pages in other languages: French on a desktop, Arabic (right to left) on a phone and a desktop.
LANGUAGE_SHOTS = [
    ("desktop", "/petitions/demo/sign?lang=fr", "sign-fr-desktop.png", False),
    ("phone", "/petitions/demo/sign?lang=ar", "sign-ar-360px.png", False),
    ("desktop", "/petitions/demo/dashboard?lang=ar", "dashboard-ar.png", False),
]


def main(only_languages: bool = False) -> int:
    from playwright.sync_api import sync_playwright

    from tools.admin_in_browser import sign_in
    from tools.devstack import DevStack

    if not Path(CHROMIUM).is_file():
        print(f"no Chromium at {CHROMIUM}", file=sys.stderr)
        return 1
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as state, DevStack(Path(state), persist=False) as stack, \
            sync_playwright() as playwright:
        seed(stack)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        desktop = browser.new_context(base_url=stack.base_url, viewport={"width": 1200, "height": 900}, locale="en-GB")
        phone = browser.new_context(base_url=stack.base_url, viewport={"width": 360, "height": 740},
                                    device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB")
        shots = [] if only_languages else [
            (desktop, "/petitions/demo/sign", "sign-desktop.png", True),
            (phone, "/petitions/demo/sign", "sign-360px.png", False),
            (desktop, "/petitions/demo/thanks", "thanks.png", False),
            (desktop, "/petitions/demo/dashboard", "dashboard.png", False),
        ]
        shots += [({"desktop": desktop, "phone": phone}[device], path, name, full)
                  for device, path, name, full in LANGUAGE_SHOTS]
        for context, path, name, full in shots:
            page = context.new_page()
            page.goto(path)
            page.wait_for_load_state("networkidle")
            if "dashboard" in path:
                page.wait_for_selector(".map path.c5")
            page.screenshot(path=str(DOCS / name), full_page=full)
            print(f"wrote docs/{name}")
            page.close()
        if only_languages:
            browser.close()
            return 0
        admin = desktop.new_page()
        sign_in(admin, stack)  # through the local mail, as make run's admin would
        for path, name in (("/admin", "admin-petitions.png"), ("/admin/petitions/demo", "admin-petition.png"),
                           ("/admin/petitions/demo/edit", "admin-edit.png")):
            admin.goto(path)
            admin.wait_for_load_state("networkidle")
            admin.screenshot(path=str(DOCS / name), full_page=False)
            print(f"wrote docs/{name}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(only_languages=sys.argv[1:] == ["languages"]))
