"""Talking to a running stack: signing over HTTP, reading its tables, waiting for its totals and mail."""
from __future__ import annotations

import email
import threading
import time
import urllib.parse
from email import policy
from pathlib import Path

import requests

from chalicelib.tally.totals import SOURCE_KEY
from tools import reconcile
from tools.devstack import DevStack

_sessions = threading.local()


def http() -> requests.Session:
    """One keep-alive session per thread."""
    if not hasattr(_sessions, "session"):
        _sessions.session = requests.Session()
    return _sessions.session


def sign(base_url: str, name: str, email: str, country: str, form: bool = True,
         petition: str = "demo") -> requests.Response:
    url = f"{base_url}/petitions/{petition}/signatures"
    fields = {"name": name, "email": email, "country": country, "consent": "on" if form else True}
    if form:
        return http().post(url, data=urllib.parse.urlencode(fields), allow_redirects=False, timeout=30,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    return http().post(url, json=fields, timeout=30)


def acknowledged(response: requests.Response) -> bool:
    return response.status_code in (202, 303)


def totals(base_url: str, petition: str = "demo") -> dict:
    response = http().get(f"{base_url}/petitions/{petition}/totals", timeout=10)
    response.raise_for_status()
    return response.json()


def wait_for_totals(base_url: str, expected: dict[str, int], timeout: float = 60, petition: str = "demo") -> dict:
    deadline = time.monotonic() + timeout
    while True:
        seen = totals(base_url, petition)
        if seen["by_country"] == expected:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"totals {seen['by_country']} never became {expected}")
        time.sleep(0.1)


def stored_by_country(stack: DevStack, petition: str = "demo") -> dict[str, int]:
    """A recount of confirmed signatures straight from the signatures table."""
    counted, _ = reconcile.recount(1, client=stack.client(), table=stack.tables["SIGNATURES_TABLE"], consistent=True)
    return {country: n for (petition_id, country), n in counted.items()
            if petition_id == petition and not country.startswith(SOURCE_KEY)}


def mails_to(stack: DevStack, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(Path(stack.mail_dir).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            found.append(message)
    return found


def wait_for_mails(stack: DevStack, address: str, count: int, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = mails_to(stack, address)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} mails to {address} arrived, not {count}")
        time.sleep(0.1)
