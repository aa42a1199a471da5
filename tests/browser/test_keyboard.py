"""A ballot completed with the keyboard alone: Tab, Space, Enter, the arrow keys and typing.

No mouse, and nothing set by script: the test only reads which element has focus.
The stored ballot is then read back, so the keys are shown to have done what they should.
"""

from __future__ import annotations

import pytest

from tests.browser.browsing import browsing
from tests.browser.pages import BALLOT_SLUGS
from tests.browser.world import PROJECTS

FIRST, SECOND, THIRD = (title for title, *_rest in PROJECTS[:3])


def tab_to(page, test: str, what: str, most: int = 80) -> None:
    """Press Tab until the focused element `el` passes the JavaScript `test`."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({test}); }}"):
            return
    pytest.fail(f"Tab never reached {what}")


def project_field(title: str, tag: str = "input") -> str:
    """A test for the ballot field of the project called `title` (found through its card)."""
    return (f"el.tagName === '{tag.upper()}' && el.closest('.ballot-project') && "
            f"el.closest('.ballot-project').querySelector('.choice-title').textContent.trim() "
            f"=== {title!r}")


def arrow_to(page, key: str, test: str, what: str, most: int = 10) -> None:
    """Press an arrow key until the focused element passes `test`."""
    for _ in range(most):
        page.keyboard.press(key)
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({test}); }}"):
            return
    pytest.fail(f"{key} never reached {what}")


CONTINUE = "el.type === 'submit' && el.form && !el.form.hasAttribute('action')"
SEND = "el.type === 'submit' && el.form && el.form.action.endsWith('/vote/submit')"


def start_by_keyboard(page, code: str) -> None:
    tab_to(page, "el.name === 'code'", "the code box")
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/vote/ballot" in page.url, f"the code did not open the ballot: {page.url}"


def mark_by_keyboard(page, kind: str) -> None:
    if kind == "approval":
        for title in (FIRST, THIRD):
            tab_to(page, project_field(title), f"the box for {title}")
            page.keyboard.press("Space")
    elif kind == "ranking":
        for title, place in ((SECOND, 1), (FIRST, 2)):
            tab_to(page, project_field(title, "select"), f"the place for {title}")
            for _ in range(place):
                page.keyboard.press("ArrowDown")
    elif kind == "scoring":
        tab_to(page, project_field(FIRST), f"the scores for {FIRST}")
        # Tab lands on the checked radio ("No score"); the arrows move round the group and
        # choose as they go.
        arrow_to(page, "ArrowRight", "el.value === '4'", "the score 4")
    elif kind == "choose-one":
        tab_to(page, project_field(FIRST), "the first project")
        arrow_to(page, "ArrowDown", project_field(SECOND), "the second project")
    elif kind == "points":
        for title, points in ((FIRST, "7"), (SECOND, "3")):
            tab_to(page, project_field(title), f"the points for {title}")
            page.keyboard.type(points)


EXPECTED = {
    "approval": {FIRST: 1, THIRD: 1},
    "ranking": {SECOND: 1, FIRST: 2},
    "scoring": {FIRST: 4},
    "choose-one": {SECOND: 1},
    "points": {FIRST: 7, SECOND: 3},
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_a_ballot_with_the_keyboard_alone(tabs, site, kind):
    slug = BALLOT_SLUGS[kind]
    with browsing(tabs, "en") as b:
        page = b.page
        b.goto(f"/vote/{slug}")
        start_by_keyboard(page, site.world.code(slug))
        mark_by_keyboard(page, kind)
        tab_to(page, CONTINUE, "the button to check your choices")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "/vote/review" in page.url, f"the ballot was not accepted: {page.url}"
        review = page.inner_text("main")
        for title in EXPECTED[kind]:
            assert title in review
        tab_to(page, SEND, "the button to send the vote")
        with page.expect_navigation():
            page.keyboard.press("Space")
        assert "/vote/done" in page.url, f"the vote was not taken: {page.url}"
        receipt = page.inner_text(".receipt").strip()
    assert site.ballot_marks(receipt) == EXPECTED[kind]
