"""Every public and resident page, in English, Welsh, Easy Read and Welsh Easy Read, in
Debian's Chromium: axe-core finds no WCAG 2.0/2.1/2.2 A or AA violation; at 320 CSS px nothing
scrolls sideways; every element that takes focus shows it; the page weighs at most 60 KB as
sent (photos aside) and asks nothing of another site; on the kiosk pages (reached through the
real set-up by a volunteer) every control is at least 44 by 44 CSS px. Screenshots of each
page, at 320 px and on a desktop, go to test-artifacts/screenshots/<mode>/ for a person.
"""

from __future__ import annotations

import shutil
from functools import partial

import pytest

from pb import create_app
from tests.browser.browsing import (DESKTOP, MODES, PHONE, axe_problems, browsing, describe,
                                    focus_problems, reflow_problems, target_problems,
                                    weight_problems)
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pages import WALKS, Stop, Walk, excluded_reason
from tests.browser.workers import ModeWorker

# Focus styles do not change with the language; Easy Read has styles of its own.
FOCUS_MODES = ("en", "easy")


def test_every_page_route_is_checked_or_excluded_with_a_reason(tmp_path):
    """A new GET route fails here until a walk reaches it or it is excluded with a reason."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "routes",
                      "INSTANCE_PATH": str(tmp_path)})
    reached = {stop.endpoint for walk in WALKS for stop in walk.stops}
    missing = sorted(
        rule.endpoint for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in reached
        and not excluded_reason(rule.endpoint))
    assert not missing, f"GET routes with no browser check and no reason to skip: {missing}"
    stale = sorted(e for e in reached if e and e not in app.view_functions)
    assert not stale, f"pages.py reaches endpoints the app no longer has: {stale}"
    names = [stop.name for walk in WALKS for stop in walk.stops]
    assert len(names) == len(set(names)), "two stops share a name (and a screenshot)"


def check(b, stop: Stop, mode: str) -> list[str]:
    """Everything the suite asks of one page; the problems found, for the report."""
    page = b.page
    problems = []
    endpoint = b.site.endpoint(page.url)
    if endpoint != stop.endpoint:
        problems.append(f"expected {stop.endpoint}, reached {endpoint} ({page.url})")
    lang = page.get_attribute("html", "lang")
    if lang != MODES[mode]["lang"]:
        problems.append(f"<html lang={lang!r}> in mode {mode}")
    easy = page.evaluate("() => document.documentElement.classList.contains('large-text')")
    if easy != (MODES[mode]["easy"] == "on" and stop.easy_read):
        problems.append(f"Easy Read is {'on' if easy else 'off'} in mode {mode}")
    if stop.kiosk and not page.query_selector("body.kiosk"):
        problems.append("not in kiosk mode")
    problems += weight_problems(b)
    problems += axe_problems(page)
    folder = SCREENSHOTS / mode
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{stop.name}-desktop.png", full_page=True)
    if stop.kiosk:
        problems += target_problems(page, "desktop width")
    page.set_viewport_size(PHONE)
    problems += reflow_problems(page)
    if mode in FOCUS_MODES:  # on a phone, where a sticky bar is likeliest to hide focus
        problems += focus_problems(page)
    if stop.kiosk:
        problems += target_problems(page, "320 px")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.screenshot(path=folder / f"{stop.name}-320.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    return [f"{stop.name} ({page.url}): {p}" for p in problems]


def run_walk(tabs, walk: Walk, mode: str) -> list[str]:
    """Walk as a resident would, checking each page on the way; the problems found."""
    stops = {stop.name: stop for stop in walk.stops}
    seen, problems = [], []
    with browsing(tabs, mode) as b:
        for name in walk.run(b):
            seen.append(name)
            problems += check(b, stops[name], mode)
    if seen != list(stops):
        problems.append(f"the walk stopped at {seen}, not {list(stops)}")
    return problems


@pytest.fixture(scope="session")
def page_checks(request, chromium_path, site):
    """Start every selected page test at once, in its mode's own browser; each test then waits
    for its own result. The four modes run side by side."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # only this run's pages, none left over
    workers = {mode: ModeWorker(site, chromium_path, mode) for mode in MODES}
    futures = {}
    for item in request.session.items:
        if item.module.__name__ == __name__ and item.originalname == "test_pages":
            walk, mode = item.callspec.params["walk"], item.callspec.params["mode"]
            futures[(walk.name, mode)] = workers[mode].submit(partial(run_walk, walk=walk,
                                                                      mode=mode))
    yield futures
    for worker in workers.values():
        worker.stop(list(futures.values()))


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("walk", WALKS, ids=str)
def test_pages(page_checks, walk, mode):
    """Every page on the walk passes every check, in this mode."""
    problems = page_checks[(walk.name, mode)].result(timeout=900)
    assert not problems, f"{walk.name} in mode {mode}:" + describe(problems)
