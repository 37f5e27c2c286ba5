"""How often pages poll /totals: less while nothing changes, not at all while hidden.

Time is Playwright's fake clock, moved by hand, and the page's /totals answers
are the test's own, so every count here is exact. The page announces when its
next poll is due (``data-next-poll`` on the element it polls for); each step
checks that no poll goes out a millisecond before that, and one goes out at it.
"""
from __future__ import annotations

import itertools
import json

import pytest

pytestmark = pytest.mark.browser

DASHBOARD = "/petitions/demo/dashboard"
SIGN = "/petitions/demo/sign"
START = 1_900_000_000_000  # ms since the epoch: any fixed moment

# Counts the page's own fetches of /totals as it makes them (not as Playwright later reports them).
COUNT_POLLS = """
window.totalsPolls = 0;
const realFetch = window.fetch;
window.fetch = function (url) {
  if (String(url).indexOf("/totals") !== -1) window.totalsPolls += 1;
  return realFetch.apply(this, arguments);
};
"""
SET_VISIBILITY = """hidden => {
  Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => hidden ? "hidden" : "visible"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def unchanged(route):
    route.fulfill(status=304, headers={"ETag": '"same"'})


def changing():
    """A handler whose every answer has one more signature than the last."""
    counter = itertools.count(1)

    def answer(route):
        total = next(counter)
        route.fulfill(status=200, content_type="application/json", headers={"ETag": f'"v{total}"'},
                      body=json.dumps({"petition_id": "demo", "total": total, "by_country": {"GB": total},
                                       "goal": 1_500_000, "updated_at": "2026-11-27T20:00:00Z"}))
    return answer


def open_with_fake_clock(page, path, answer):
    page.context.add_init_script(COUNT_POLLS)
    page.route("**/totals", answer)
    page.clock.install(time=START)
    page.clock.pause_at(START + 1)
    page.goto(path)


def polls(page) -> int:
    return page.evaluate("window.totalsPolls")


def announced(page) -> str:
    """What the page says comes next, once it has settled on something (no request out)."""
    page.wait_for_function("() => document.querySelector('[data-next-poll]').dataset.nextPoll !== ''")
    return page.get_attribute("[data-next-poll]", "data-next-poll")


def next_wait(page) -> int:
    """Seconds until the next poll; checks that the poll goes out exactly then."""
    seconds = int(announced(page))
    before = polls(page)
    page.clock.run_for(seconds * 1000 - 1)
    assert polls(page) == before, f"polled before the {seconds} s it announced"
    page.clock.run_for(1)
    assert polls(page) == before + 1, f"no poll after the {seconds} s it announced"
    return seconds


def test_dashboard_polls_less_while_nothing_changes_and_every_5_s_again_after_a_change(page):
    open_with_fake_clock(page, DASHBOARD, unchanged)
    assert [next_wait(page) for _ in range(7)] == [5, 10, 20, 40, 60, 60, 60]
    page.unroute("**/totals")
    page.route("**/totals", changing())
    assert next_wait(page) == 60  # this poll finds a change...
    assert [next_wait(page) for _ in range(3)] == [5, 5, 5]  # ...and so does every one after it
    page.wait_for_function("() => document.querySelector('[data-total]').textContent === '4'")


@pytest.mark.parametrize("path", [DASHBOARD, SIGN])
def test_a_hidden_tab_polls_nothing_and_polls_at_once_when_shown(page, path):
    open_with_fake_clock(page, path, changing())
    next_wait(page)
    page.evaluate(SET_VISIBILITY, True)
    assert announced(page) == "paused"
    before = polls(page)
    page.clock.run_for(60 * 60 * 1000)  # an hour behind other tabs
    assert polls(page) == before
    page.evaluate(SET_VISIBILITY, False)
    assert polls(page) == before + 1  # in the same task as the page became visible: no waiting
    assert announced(page) == ("5" if path == DASHBOARD else "20")


def test_a_tab_hidden_while_a_poll_is_out_stays_paused_after_the_answer(page):
    held = []
    open_with_fake_clock(page, DASHBOARD, lambda route: held.append(route))  # held back until released
    seconds = int(announced(page))
    page.clock.run_for(seconds * 1000)
    page.wait_for_function("() => window.totalsPolls === 1")
    page.evaluate(SET_VISIBILITY, True)
    for _ in range(500):  # Playwright hands the request over asynchronously
        if held:
            break
        page.wait_for_timeout(20)
    held[0].fulfill(status=304)
    assert announced(page) == "paused"
    page.clock.run_for(10 * 60 * 1000)
    assert polls(page) == 1
