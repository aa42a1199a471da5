"""On a slow mobile connection (Chrome's "Slow 3G": 2 s round trips, about 50 KB/s) a resident
can still vote from start to receipt. Nothing is timed beyond a generous time-out per step."""

from __future__ import annotations

from tests.browser.browsing import DESKTOP, Browsing
from tests.browser.pages import CODE_BUTTON, SEND_VOTE, BALLOT_BUTTON, fill_ballot

SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000,
           "uploadThroughput": 50_000}


def test_voting_on_a_slow_connection(browser, site):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(120_000)
    context.set_default_navigation_timeout(120_000)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        b = Browsing(page, cdp, site, "en")
        b.goto("/vote/browser-approval", 200)
        page.fill("input[name=code]", site.world.code("browser-approval"))
        b.submit(CODE_BUTTON)
        assert "/vote/ballot" in page.url
        fill_ballot(b, "approval")
        b.submit(BALLOT_BUTTON)
        assert "/vote/review" in page.url
        b.submit(SEND_VOTE)
        assert "/vote/done" in page.url
        receipt = page.inner_text(".receipt").strip()
        assert len(site.ballot_marks(receipt)) == 1
    finally:
        context.close()
