"""Every public and resident page, and the way a resident walks to it.

A walk is what a resident does: open a page, send a form wrong, put it right, vote. Each stop
on the way is a page the suite checks (tests/browser/test_pages.py), so the ballot, review and
receipt pages are reached by really voting, and form pages are seen in their error state.
The stops are checked against the app's routes: a GET route that no walk reaches and that is
not excluded below, with a reason, fails the suite.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable, Iterator

from tests.browser.browsing import Browsing
from tests.browser.world import KNAPSACK, PROPOSER_EMAIL, PROPOSING, PUBLISHED, VOLUNTEER_EMAIL

# GET routes the suite does not open in the browser, and why.
EXCLUDED = {
    "static": "a file (styles, scripts, icon), loaded by every page checked",
    "main.photo": "a photo file",
    "main.healthz": "a plain-text health check for monitoring, not a page",
    "api.openapi_document": "JSON for programs",
    "api.list_rounds": "JSON for programs",
    "api.round_results": "JSON for programs",
    "results.live_json": "JSON for the live screen's script",
    "results.bundle": "a ZIP download",
    "results.download": "a file download (PDF, Excel, CSV, JSON, pabulib)",
    "results.council_download": "a file download (PDF, Excel, CSV, JSON, ZIP)",
    "delivery.monitoring_csv": "a staff download",
    "delivery.monitoring_xlsx": "a staff download",
    "organise.codes_cards": "a staff download (PDF of code cards)",
    "vote.kiosk_clear": "only redirects to the kiosk's start screen, which is checked",
    "delivery.update": "staff: a partnership member records delivery (not a resident page)",
}
STAFF_PREFIX = "organise."  # organisers', scrutineers' and administrators' pages
STAFF_REASON = "staff page (organisers, scrutineers, administrators), not a resident page"


def excluded_reason(endpoint: str) -> str | None:
    if endpoint.startswith(STAFF_PREFIX):
        return STAFF_REASON
    return EXCLUDED.get(endpoint)


@dataclass(frozen=True)
class Stop:
    """A page on a walk: its name (for screenshots) and the endpoint that must serve it."""

    name: str
    endpoint: str | None  # None: no route (the "page not found" page)
    kiosk: bool = False
    easy_read: bool = True  # False: a page with no Easy Read form (the projector's live screen)


@dataclass(frozen=True)
class Walk:
    name: str
    stops: tuple[Stop, ...]
    run: Callable[[Browsing], Iterator[str]]  # yields each stop's name once the page is there

    def __str__(self) -> str:
        return self.name


# Buttons, by where their form sends them (the words change with the language).
MAIN_BUTTON = "main form[method=post] button[type=submit]"
BALLOT_BUTTON = "main form[method=post]:not([action]) button[type=submit]"
SEND_VOTE = "form[action$='/vote/submit'] button[type=submit]"
CODE_BUTTON = "form[action$='/vote/'] button[type=submit]"

# The round for each ballot type.
BALLOT_SLUGS = {
    "approval": "browser-approval", "knapsack": KNAPSACK, "ranking": "browser-ranking",
    "scoring": "browser-scores", "points": "browser-points", "choose-one": "browser-choose-one",
}


def start_with_code(b: Browsing, slug: str) -> None:
    """From the round's voting page, enter a fresh code: the ballot opens."""
    b.goto(f"/vote/{slug}", 200)
    b.page.fill("input[name=code]", b.site.world.code(slug))
    b.submit(CODE_BUTTON)
    assert "/vote/ballot" in b.page.url, f"the code did not open the ballot: {b.page.url}"


def fill_ballot(b: Browsing, kind: str) -> None:
    """Make a valid choice on the ballot of this type (clearing an earlier one)."""
    page = b.page
    if kind in ("approval", "knapsack"):
        for box in page.query_selector_all("input[name=projects]"):
            box.uncheck()
        page.check("input[name=projects] >> nth=0")
    elif kind == "choose-one":
        page.check("input[name=project] >> nth=0")
    elif kind == "ranking":
        page.select_option("select.input-rank >> nth=0", "1")
        page.select_option("select.input-rank >> nth=1", "2")
    elif kind == "scoring":
        page.check(".score-options >> nth=0 >> input[value='4']")
    elif kind == "points":
        page.fill("input[data-points] >> nth=0", "6")
        page.fill("input[data-points] >> nth=1", "4")


def overfill(b: Browsing, kind: str) -> None:
    """Choose more than the ballot allows."""
    if kind == "knapsack":
        for box in b.page.query_selector_all("input[name=projects]"):
            box.check()
    else:
        b.page.fill("input[data-points] >> nth=0", "9")
        b.page.fill("input[data-points] >> nth=1", "9")


def send_ballot(b: Browsing, error: bool = False) -> None:
    b.submit(BALLOT_BUTTON)
    if error:
        assert b.page.query_selector(".error-summary"), "the ballot showed no error"
    else:
        assert "/vote/review" in b.page.url, f"the ballot did not go to review: {b.page.url}"


def send_vote(b: Browsing, kiosk: bool = False) -> None:
    b.submit(SEND_VOTE)
    where = "/vote/kiosk/thanks" if kiosk else "/vote/done"
    assert where in b.page.url, f"the vote was not taken: {b.page.url}"


def vote_walk(kind: str) -> Walk:
    """Code, the ballot, the ballot sent empty (and over its limit), review, receipt."""
    over = kind in ("knapsack", "points")
    stops = [Stop(f"ballot-{kind}", "vote.ballot"), Stop(f"ballot-{kind}-error", "vote.ballot")]
    if over:
        stops.append(Stop(f"ballot-{kind}-over", "vote.ballot"))
    stops += [Stop(f"review-{kind}", "vote.review"), Stop(f"done-{kind}", "vote.done")]
    if kind == "approval":
        stops += [Stop("equality", "vote.equality"), Stop("equality-answered", "vote.equality")]
    if kind == "choose-one":
        stops.append(Stop("receipt-found", "vote.receipt"))

    def run(b: Browsing) -> Iterator[str]:
        start_with_code(b, BALLOT_SLUGS[kind])
        yield f"ballot-{kind}"
        send_ballot(b, error=True)
        yield f"ballot-{kind}-error"
        if over:
            overfill(b, kind)
            send_ballot(b, error=True)
            yield f"ballot-{kind}-over"
        fill_ballot(b, kind)
        send_ballot(b)
        yield f"review-{kind}"
        send_vote(b)
        yield f"done-{kind}"
        receipt = b.page.inner_text(".receipt").strip()
        if kind == "approval":
            b.goto("/vote/equality", 200)
            yield "equality"
            b.page.check("input[type=radio] >> nth=0")
            b.submit(MAIN_BUTTON)
            yield "equality-answered"
        if kind == "choose-one":
            b.goto(f"/vote/receipt?receipt={receipt}", 200)
            yield "receipt-found"

    return Walk(f"vote-{kind}", tuple(stops), run)


def email_walk(b: Browsing) -> Iterator[str]:
    b.goto("/vote/browser-approval/email", 200)
    yield "vote-email"
    b.page.fill("input[name=email]", "not an address")
    b.page.fill("input[name=postcode]", "M1 1AA")
    b.submit(MAIN_BUTTON)
    yield "vote-email-error"
    address = f"resident-{uuid.uuid4().hex[:10]}@browser.example"
    b.page.fill("input[name=email]", address)
    b.page.fill("input[name=postcode]", "SK10 1AB")
    b.page.check("input[name=old_enough]")
    b.page.check("input[name=in_area]")
    b.submit(MAIN_BUTTON)
    assert "/email/sent" in b.page.url, f"no link was sent: {b.page.url}"
    yield "vote-email-sent"
    b.goto(b.site.link_in_outbox(address, "/vote/browser-approval/link/"), 200)
    yield "vote-email-link"
    b.submit(MAIN_BUTTON)
    assert "/vote/ballot" in b.page.url, f"the link did not open the ballot: {b.page.url}"
    yield "ballot-by-email"


def postcode_walk(b: Browsing) -> Iterator[str]:
    b.goto("/vote/browser-approval/postcode", 200)
    yield "vote-postcode"
    b.page.fill("input[name=postcode]", "M1 1AA")
    b.submit(MAIN_BUTTON)
    yield "vote-postcode-error"
    b.page.fill("input[name=postcode]", "SK11 6DA")
    b.page.check("input[name=old_enough]")
    b.page.check("input[name=in_area]")
    b.submit(MAIN_BUTTON)
    assert "/vote/ballot" in b.page.url, f"the postcode did not open the ballot: {b.page.url}"
    yield "ballot-by-postcode"


def form_walk(name: str, path: str | Callable[[Browsing], str], endpoint: str,
              fill: Callable[[Browsing], None] = lambda b: None,
              button: str = MAIN_BUTTON, error_endpoint: str | None = None) -> Walk:
    """A form page, then the same form sent with something wrong."""
    def run(b: Browsing) -> Iterator[str]:
        b.goto(path(b) if callable(path) else path, 200)
        yield name
        fill(b)
        b.submit(button)
        assert b.page.query_selector(".error-summary, .error-message"), "no error was shown"
        yield f"{name}-error"
    return Walk(name, (Stop(name, endpoint), Stop(f"{name}-error", error_endpoint or endpoint)),
                run)


def typed(**fields: str) -> Callable[[Browsing], None]:
    def fill(b: Browsing) -> None:
        for selector, value in fields.items():
            b.page.fill(f"main input[name={selector}]", value)
    return fill


def proposer_walk(b: Browsing) -> Iterator[str]:
    world = b.site.world
    b.sign_in(PROPOSER_EMAIL)
    b.goto("/dashboard", 200)
    yield "dashboard"
    b.goto(f"/proposals/new/{PROPOSING}", 200)
    yield "proposal-new"
    b.submit("main form button[value=submit]")
    assert b.page.query_selector(".error-summary"), "the proposal form showed no error"
    yield "proposal-new-error"
    b.goto(f"/proposals/{world.proposer_draft}", 200)
    yield "proposal-draft"
    b.goto(f"/proposals/{world.proposer_draft}/edit", 200)
    yield "proposal-edit"
    b.goto(f"/proposals/{world.proposer_submitted}", 200)
    yield "proposal-sent"
    b.goto(f"/proposals/{world.proposer_submitted}/withdraw", 200)
    yield "proposal-withdraw"


def kiosk_walk(b: Browsing) -> Iterator[str]:
    """A volunteer signs in and turns the device into a kiosk (the real set-up); a resident
    votes on it and answers the equality questions."""
    b.sign_in(VOLUNTEER_EMAIL)
    b.goto("/vote/kiosk/setup/browser-approval", 200)
    yield "kiosk-setup"
    b.submit(MAIN_BUTTON)
    assert "/vote/kiosk" in b.page.url, f"kiosk mode did not start: {b.page.url}"
    b.goto("/vote/kiosk", 200)  # set-up signs the volunteer out: say the language again
    yield "kiosk-home"
    b.submit(MAIN_BUTTON)
    assert "/vote/ballot" in b.page.url, f"the kiosk did not open a ballot: {b.page.url}"
    yield "kiosk-ballot"
    fill_ballot(b, "approval")
    send_ballot(b)
    yield "kiosk-review"
    send_vote(b, kiosk=True)
    yield "kiosk-thanks"
    b.goto("/vote/equality", 200)
    yield "kiosk-equality"


def page(name: str, endpoint: str | None, path: str | Callable[[Browsing], str],
         status: int | None = 200, easy_read: bool = True) -> Walk:
    """One page, opened by its address."""
    def run(b: Browsing) -> Iterator[str]:
        b.goto(path(b) if callable(path) else path, status)
        yield name
    return Walk(name, (Stop(name, endpoint, easy_read=easy_read),), run)


def world(attr: str, pattern: str) -> Callable[[Browsing], str]:
    """An address made from something in the seeded world (a proposal's id, a token)."""
    return lambda b: pattern.format(getattr(b.site.world, attr))


WALKS = [
    page("home", "main.index", "/"),
    page("not-found", None, "/no-such-page", 404),
    page("privacy", "main.privacy", "/privacy"),
    page("round-voting", "main.round_page", "/rounds/browser-approval"),
    page("round-published", "main.round_page", f"/rounds/{PUBLISHED}"),
    page("round-proposing", "main.round_page", f"/rounds/{PROPOSING}"),
    page("proposals-published", "main.browse_proposals", f"/rounds/{PUBLISHED}/proposals"),
    page("proposals-filtered", "main.browse_proposals",
         f"/rounds/{PUBLISHED}/proposals?category=health"),
    page("proposals-voting", "main.browse_proposals", f"/rounds/{KNAPSACK}/proposals"),
    page("project-funded", "main.project", world("funded_project", "/projects/{}")),
    page("project-on-ballot", "main.project", world("open_project", "/projects/{}")),
    page("results", "results.round_results", f"/results/{PUBLISHED}"),
    page("results-not-yet", "results.round_results", "/results/browser-approval", None),
    page("results-reproduce", "results.reproduce", f"/results/{PUBLISHED}/reproduce"),
    page("results-council", "results.council", "/results/council/cheshire-east"),
    page("live-published", "results.live", f"/results/{PUBLISHED}/live", easy_read=False),
    page("live-voting", "results.live", "/results/browser-approval/live", easy_read=False),
    form_walk("delivery", f"/delivery/{PUBLISHED}", "delivery.progress",
              typed(email="not an address"), "form[action$='/follow'] button[type=submit]",
              error_endpoint="delivery.follow"),
    page("delivery-confirm", "delivery.confirm", world("follow_confirm_path", "{}")),
    page("delivery-stop", "delivery.stop", world("follow_stop_path", "{}")),
    page("delivery-bad-link", "delivery.confirm", "/delivery/follow/not-a-token", 400),
    form_walk("login", "/auth/login", "auth.login",
              typed(email=PROPOSER_EMAIL, password="not the password")),
    form_walk("register", "/auth/register", "auth.register"),
    form_walk("invitation", world("invitation_path", "{}"), "auth.accept_invitation"),
    page("invitation-bad-link", "auth.accept_invitation", "/auth/invitations/x", None),
    Walk("proposer", tuple(Stop(n, e) for n, e in (
        ("dashboard", "main.dashboard"), ("proposal-new", "proposals.new"),
        ("proposal-new-error", "proposals.new"), ("proposal-draft", "proposals.show"),
        ("proposal-edit", "proposals.edit"), ("proposal-sent", "proposals.show"),
        ("proposal-withdraw", "proposals.withdraw"))), proposer_walk),
    form_walk("vote-start", "/vote/", "vote.start", typed(code="AAAAA-00000"), CODE_BUTTON),
    page("vote-round-open", "vote.round_start", "/vote/browser-approval"),
    page("vote-round-closed", "vote.round_start", f"/vote/{PUBLISHED}"),
    page("vote-round-not-yet", "vote.round_start", f"/vote/{PROPOSING}"),
    Walk("vote-email", tuple(Stop(n, e) for n, e in (
        ("vote-email", "vote.email"), ("vote-email-error", "vote.email"),
        ("vote-email-sent", "vote.email_sent"), ("vote-email-link", "vote.email_link"),
        ("ballot-by-email", "vote.ballot"))), email_walk),
    page("vote-email-bad-link", "vote.email_link", "/vote/browser-approval/link/x", 400),
    Walk("vote-postcode", tuple(Stop(n, e) for n, e in (
        ("vote-postcode", "vote.postcode"), ("vote-postcode-error", "vote.postcode"),
        ("ballot-by-postcode", "vote.ballot"))), postcode_walk),
    *[vote_walk(kind) for kind in BALLOT_SLUGS],
    page("receipt", "vote.receipt", "/vote/receipt"),
    page("receipt-unknown", "vote.receipt", "/vote/receipt?receipt=ABCD-EFGH-JKMN"),
    page("receipt-error", "vote.receipt", "/vote/receipt?receipt=" + "X" * 41),
    page("kiosk-off", "vote.kiosk_home", "/vote/kiosk", 404),
    Walk("kiosk", (Stop("kiosk-setup", "vote.kiosk_setup"),
                   *(Stop(n, e, kiosk=True) for n, e in (
                       ("kiosk-home", "vote.kiosk_home"), ("kiosk-ballot", "vote.ballot"),
                       ("kiosk-review", "vote.review"), ("kiosk-thanks", "vote.kiosk_thanks"),
                       ("kiosk-equality", "vote.equality")))), kiosk_walk),
]
