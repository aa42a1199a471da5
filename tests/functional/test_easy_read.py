"""Language and Easy Read switches on every page; Easy Read and large text; Easy Read
summaries; pictures beside categories; the allocation rule in plain words.

The switch test walks every GET route the app has, as tests/functional/test_embargo.py does,
so a page added later is covered without editing this file.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import template_rendered
from sqlalchemy import select

from pb.extensions import db
from pb.models import Proposal
from pb.models.user import ORGANISER, VOLUNTEER
from pb.services import rounds, voting
from pb.services.ballots import BallotRules
from pb.services.sharing import how_money_is_shared
from pb.views_helpers import switch_url
from tests import factories
from tests.functional.helpers import login

# Not pages: files, JSON, the photo route; and the live screen, a projector page of its own
# without the site's header and footer (templates/results/live.html).
SKIP_ENDPOINTS = {"static", "main.photo", "results.live", "main.healthz"}
SKIP_PREFIXES = ("api.",)
EASY_HOME = "People who live here vote for the projects they like."
STANDARD_HOME = "Local groups propose projects. Residents vote."


class Page(HTMLParser):
    """What the switches say: the <html> and <body> attributes and the preferences links."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html: dict = {}
        self.body: dict = {}
        self.links: list[dict] = []  # {"tag", "text", attrs...} inside nav.preferences
        self._in_prefs = False
        self._item: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html = a
        elif tag == "body":
            self.body = a
        elif tag == "nav" and "preferences" in (a.get("class") or ""):
            self._in_prefs = True
        elif self._in_prefs and tag in ("a", "span"):
            self._item = {"tag": tag, "text": "", **a}

    def handle_endtag(self, tag):
        if tag == "nav" and self._in_prefs:
            self._in_prefs = False
        elif self._item is not None and tag == self._item["tag"]:
            self._item["text"] = " ".join(self._item["text"].split())
            self.links.append(self._item)
            self._item = None

    def handle_data(self, data):
        if self._item is not None:
            self._item["text"] += data

    def item(self, text: str) -> dict:
        found = [i for i in self.links if i["text"] == text]
        assert len(found) == 1, f"{text!r} in the preferences: {self.links}"
        return found[0]

    @property
    def body_classes(self) -> list[str]:
        return (self.body.get("class") or "").split()


def _query(href: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(href)
    return parts.path, parse_qsl(parts.query, keep_blank_values=True)


def _expect_switches(page: Page, url: str, welsh: bool, easy: bool) -> None:
    path, query = _query(url)
    other = page.item("English" if welsh else "Cymraeg")
    code = "en" if welsh else "cy"
    assert (other["tag"], other.get("lang"), other.get("hreflang")) == ("a", code, code)
    assert _query(other["href"]) == (path, [(k, v) for k, v in query if k != "lang"]
                                     + [("lang", code)])
    current = page.item("Cymraeg" if welsh else "English")
    assert current["tag"] == "span" and current.get("aria-current") == "true"
    assert current.get("lang") == ("cy" if welsh else "en")
    assert page.html.get("lang") == ("cy" if welsh else "en")
    # Until the Welsh catalogue has these words, a Welsh page may show them in English.
    on = page.item("Easy Read and large text") if not welsh else None
    if on is not None:
        off = page.item("Standard text")
        link, shown = (off, on) if easy else (on, off)
        assert link["tag"] == "a" and shown["tag"] == "span"
        assert shown.get("aria-current") == "true"
        assert _query(link["href"]) == (path, [(k, v) for k, v in query if k != "easy"]
                                        + [("easy", "off" if easy else "on")])
    assert ("easy-read-mode" in page.body_classes) is easy
    assert ("large-text" in (page.html.get("class") or "").split()) is easy


@pytest.fixture
def published(app):
    world = factories.counted_round(publish=True)
    world.projects["Allotment"].category = "green"
    world.projects["Bus shelter"].category = "Roads and transport"
    db.session.commit()
    return world


def _page_urls(app, world) -> list[tuple[str, str]]:
    from flask import url_for

    values = {"slug": [world.round.slug], "council_slug": [world.council.slug],
              "proposal_id": [world.projects["Allotment"].id]}
    out = []
    for rule in app.url_map.iter_rules():
        if ("GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS
                or rule.endpoint.startswith(SKIP_PREFIXES)):
            continue
        kwargs = {}
        for arg in rule.arguments:
            value = values.get(arg, ["x" if "token" in arg else "csv"])[0]
            converter = rule._converters.get(arg).__class__.__name__
            kwargs[arg] = 1 if converter == "IntegerConverter" and arg not in values else value
        with app.test_request_context():
            out.append((rule.endpoint, url_for(rule.endpoint, **kwargs)))
    return out


@pytest.mark.parametrize(("welsh", "easy"), [(False, False), (True, True)],
                         ids=["english-standard", "welsh-easy-read"])
def test_every_page_has_the_language_and_easy_read_switches(app, published, welsh, easy):
    client = app.test_client()
    if welsh or easy:
        client.get(f"/?lang={'cy' if welsh else 'en'}&easy={'on' if easy else 'off'}")
    checked = []
    templates: list[str] = []
    with template_rendered.connected_to(lambda _app, template, **_kw:
                                        templates.append(template.name), app):
        for endpoint, url in _page_urls(app, published) + [("not found", "/no/such/page?x=1")]:
            templates.clear()
            response = client.get(url)
            if response.status_code in (301, 302, 303) or \
                    not response.headers.get("Content-Type", "").startswith("text/html"):
                continue
            # An error page has no page to show again: its switches lead to the start page.
            error = "errors/error.html" in templates
            _expect_switches(Page(response.get_data(as_text=True)), "/" if error else url,
                             welsh, easy)
            checked.append(endpoint)
    # The home page, round, proposals, project, vote, receipt, results, delivery, sign-in and
    # error pages at least.
    assert {"main.index", "main.round_page", "main.browse_proposals", "main.project",
            "vote.round_start", "vote.receipt", "results.round_results", "delivery.progress",
            "auth.login", "not found"} <= set(checked)
    assert len(checked) > 20


def test_an_error_page_switches_to_the_start_page(client):
    response = client.get("/rounds/hidden-draft?page=2")
    assert response.status_code == 404
    page = Page(response.get_data(as_text=True))
    assert page.item("Cymraeg")["href"] == "/?lang=cy"
    assert page.item("Easy Read and large text")["href"] == "/?easy=on"


def test_the_switches_are_on_a_kiosk_whose_header_has_no_links(app, client):
    council, (north,) = factories.council_with_partnerships(["North"])
    factories.user(council, "val@north.example", VOLUNTEER, north)
    round_ = factories.round_(council, slug="pb-day", partnership=north,
                              voting_methods=["codes", "kiosk"])
    factories.proposal(round_, north, "Swings", 4_000_00)
    rounds.open_voting(None, round_)
    db.session.commit()
    login(client, "val@north.example")
    assert client.post("/vote/kiosk/setup/pb-day").status_code == 302
    for url in ("/vote/kiosk", "/vote/kiosk?easy=on"):
        html = client.get(url).get_data(as_text=True)
        assert "Sign in" not in html and "Check your vote" not in html  # no way off the kiosk
        _expect_switches(Page(html), url, welsh=False, easy=url.endswith("on"))
    assert client.post("/vote/kiosk/begin").status_code == 302
    ballot = client.get("/vote/ballot").get_data(as_text=True)
    _expect_switches(Page(ballot), "/vote/ballot", welsh=False, easy=True)


def test_the_choices_are_kept_from_page_to_page_without_signing_in(client, published):
    round_page = f"/rounds/{published.round.slug}"
    assert "easy-read-mode" not in Page(client.get(round_page).get_data(as_text=True)).body_classes
    client.get("/?easy=on")
    client.get("/?lang=cy")
    page = Page(client.get(round_page).get_data(as_text=True))
    assert page.html["lang"] == "cy" and "easy-read-mode" in page.body_classes
    client.get(f"{round_page}?easy=off")
    page = Page(client.get("/vote/receipt").get_data(as_text=True))
    assert page.html["lang"] == "cy" and "easy-read-mode" not in page.body_classes
    client.get("/?lang=en")
    assert Page(client.get("/").get_data(as_text=True)).html["lang"] == "en"
    # Anything else in ?easy= changes nothing.
    client.get("/?easy=on")
    assert "easy-read-mode" in Page(client.get("/?easy=yes").get_data(as_text=True)).body_classes


def test_the_language_link_keeps_the_query_and_replaces_lang(client, published):
    url = f"/rounds/{published.round.slug}/proposals?area=all&lang=en&category=green"
    page = Page(client.get(url).get_data(as_text=True))
    assert page.item("Cymraeg")["href"] == \
        f"/rounds/{published.round.slug}/proposals?area=all&category=green&lang=cy"
    assert page.item("Easy Read and large text")["href"] == \
        f"/rounds/{published.round.slug}/proposals?area=all&lang=en&category=green&easy=on"


def test_a_page_that_only_answers_a_form_switches_to_the_start_page(client, published):
    response = client.post(f"/delivery/{published.round.slug}/follow", data={"email": "nope"})
    assert response.status_code == 400
    page = Page(response.get_data(as_text=True))
    assert page.item("Cymraeg")["href"] == "/?lang=cy"


@pytest.mark.parametrize(("path", "args", "changes", "expected"), [
    ("/", {}, {"lang": "cy"}, "/?lang=cy"),
    ("/x", {"lang": "cy", "a": "1"}, {"lang": "en"}, "/x?a=1&lang=en"),
    ("//evil.example/x", {}, {"easy": "on"}, "/evil.example/x?easy=on"),
    ("/rounds/café", {}, {"lang": "cy"}, "/rounds/caf%C3%A9?lang=cy"),
    ("/a?b", {"q": "a b&c"}, {"easy": "off"}, "/a%3Fb?q=a+b%26c&easy=off"),
], ids=["home", "replaces", "never-another-site", "accents", "quoted"])
def test_switch_url(path, args, changes, expected):
    assert switch_url(path, args, **changes) == expected


def test_switch_url_keeps_repeated_parameters():
    from werkzeug.datastructures import MultiDict

    assert switch_url("/p", MultiDict([("a", "1"), ("a", "2")]), lang="cy") == \
        "/p?a=1&a=2&lang=cy"


def test_easy_read_changes_the_words_and_the_look(client, published):
    standard = client.get("/").get_data(as_text=True)
    assert STANDARD_HOME in standard and EASY_HOME not in standard
    easy = client.get("/?easy=on").get_data(as_text=True)
    assert EASY_HOME in easy and STANDARD_HOME not in easy
    # One idea to a line, each line its own paragraph, a picture beside it hidden from
    # screen readers and drawn once on the page.
    assert re.search(r'<p><svg class="icon" aria-hidden="true" focusable="false">'
                     r'<use href="#icon-vote"></use></svg>' + re.escape(EASY_HOME) + "</p>", easy)
    assert easy.count('<symbol id="icon-vote"') == 1
    assert '<symbol id="icon-vote"' not in standard


def _ballot_round(ballot_type, settings=None, **fields):
    council, (north,) = factories.council_with_partnerships(["North"])
    round_ = factories.round_(council, slug="vote-here", pot=5_000_00, ballot_type=ballot_type,
                              ballot_settings=settings or {}, **fields)
    projects = [factories.proposal(round_, north, title, cost) for title, cost in
                (("Allotment tools", 2_000_00), ("Bus shelter", 3_000_00),
                 ("Café tables", 1_000_00))]
    rounds.open_voting(None, round_)
    codes = voting.issue_codes(None, round_, 2)
    db.session.commit()
    return round_, projects, codes


BALLOTS = [
    ("approval", {}), ("approval", {"max_choices": 2, "min_choices": 2}), ("knapsack", {}),
    ("choose-one", {}), ("ranking", {"max_choices": 3}), ("ranking", {"max_choices": 1}),
    ("scoring", {}), ("points", {"max_total_points": 10, "max_points": 6, "min_total_points": 4}),
]


@pytest.mark.parametrize(("ballot_type", "settings"), BALLOTS,
                         ids=[f"{t}-{'-'.join(f'{k}{v}' for k, v in s.items())}".rstrip("-")
                              for t, s in BALLOTS])
def test_every_ballot_type_has_easy_read_instructions(client, ballot_type, settings):
    round_, projects, (code, _other) = _ballot_round(ballot_type, settings)
    rules = BallotRules.for_round(round_, len(projects))
    assert client.post("/vote/", data={"code": code}).status_code == 302
    standard = client.get("/vote/ballot").get_data(as_text=True)
    assert rules.instruction(round_.pot) in standard
    easy = client.get("/vote/ballot?easy=on").get_data(as_text=True)
    lines = rules.easy_instruction(round_.pot)
    assert len(lines) >= 1
    for _icon, sentence in lines:
        assert sentence in easy
        assert len(sentence.split()) <= 14, sentence
    assert not all(sentence in standard for _icon, sentence in lines)
    assert rules.instruction(round_.pot) not in easy
    # How the money is shared out, on the ballot page in both modes.
    for _icon, sentence in how_money_is_shared(round_.rule, round_.rule_settings, ballot_type,
                                               round_.tie_break):
        assert sentence in standard and sentence in easy


def test_a_whole_vote_in_easy_read(client):
    round_, projects, (code, _other) = _ballot_round("approval", equality_questions=True)
    client.get("/?easy=on")
    assert client.post("/vote/", data={"code": code}).status_code == 302
    assert client.post("/vote/ballot", data={"projects": [str(projects[0].id)]}).status_code == 302
    review = client.get("/vote/review").get_data(as_text=True)
    assert "Your vote is secret." in review and "You can vote only once." in review
    assert "Your vote is secret: it is not linked to your name." not in review
    done = client.post("/vote/submit", follow_redirects=True).get_data(as_text=True)
    assert "Write down your receipt code." in done and "It does not show how you voted." in done
    assert "Your answers are kept apart from your vote." in done  # the equality offer
    equality = client.get("/vote/equality").get_data(as_text=True)
    assert "Nobody can link them to your vote." in equality
    receipt = client.get("/vote/receipt").get_data(as_text=True)
    assert "We never show how anyone voted." in receipt
    assert "This check never shows how anyone voted." not in receipt


def test_results_and_delivery_pages_explain_themselves_in_easy_read(client, published):
    results = client.get(f"/results/{published.round.slug}?easy=on").get_data(as_text=True)
    assert "This page shows which projects get the money." in results
    for _icon, sentence in how_money_is_shared(published.round.rule, {}, "approval", "chain"):
        assert sentence in results
    standard = client.get(f"/results/{published.round.slug}?easy=off").get_data(as_text=True)
    assert "This page shows which projects get the money." not in standard
    delivery = client.get(f"/delivery/{published.round.slug}?easy=on").get_data(as_text=True)
    assert "These projects got money from the vote." in delivery
    assert "We can email you when a project has news." in delivery


@pytest.mark.parametrize(("url", "easy_line", "standard_line"), [
    ("/no/such/page", "We cannot find this page.", "If you typed the web address, check it is"),
    ("/rounds/x%00y", "We cannot find this page.", "If you typed the web address, check it is"),
    ("/vote/receipt?receipt=%00", "Something went wrong with that.",
     "<p>Go back and try again.</p>"),
], ids=["404", "nul-in-path", "400"])
def test_error_pages_in_easy_read(client, url, easy_line, standard_line):
    standard = client.get(url).get_data(as_text=True)
    assert standard_line in standard and easy_line not in standard
    client.get("/?easy=on")
    easy = client.get(url).get_data(as_text=True)
    assert easy_line in easy and standard_line not in easy


@pytest.mark.parametrize(("rule", "settings"), [
    ("greedy", {}), ("greedy-no-skip", {}), ("greedy-threshold", {"threshold_percent": 20}),
    ("equal-shares", {"completion": "add1"}), ("phragmen", {}),
])
def test_the_round_and_proposals_pages_say_how_the_money_is_shared(client, rule, settings):
    round_, _projects, _codes = _ballot_round("approval", rule=rule)
    round_.rule_settings = settings
    db.session.commit()
    sentences = [s for _i, s in how_money_is_shared(rule, settings, "approval", "chain")]
    for url in (f"/rounds/{round_.slug}", f"/rounds/{round_.slug}/proposals"):
        for mode in ("off", "on"):
            html = client.get(f"{url}?easy={mode}").get_data(as_text=True)
            assert "How the money is shared out" in html
            assert all(s.replace("'", "&#39;") in html for s in sentences), (url, mode)


EASY_EN = "A bench by the pond.\nPeople can sit and rest."
EASY_CY = "Mainc wrth y pwll.\nGall pobl eistedd."


@pytest.fixture
def bench(app):
    """A project on the ballot with English and Welsh Easy Read summaries, and one without."""
    council, (north,) = factories.council_with_partnerships(["North"])
    round_ = factories.round_(council, slug="benches", status="proposals")
    bench = factories.proposal(round_, north, "Bench", 500_00)
    bench.summary, bench.category = "An oak bench with a plaque, by the pond.", "older_people"
    bench.easy_read_summary, bench.easy_read_summary_cy = EASY_EN, EASY_CY
    bench.title_cy, bench.summary_cy = "Mainc", "Mainc dderw gyda phlac, wrth y pwll."
    plain = factories.proposal(round_, north, "Swings", 900_00)
    plain.easy_read_summary = "New swings.\nFor children."
    plain.category = "Parks and trees"
    rounds.open_voting(None, round_)
    codes = voting.issue_codes(None, round_, 1)
    db.session.commit()
    return {"round": round_, "bench": bench, "plain": plain, "code": codes[0]}


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{line}</p>" for line in text.split("\n"))


def test_the_easy_read_summary_takes_the_place_of_the_summary_in_easy_read(client, bench):
    b = bench["bench"]
    listing = client.get("/rounds/benches/proposals").get_data(as_text=True)
    assert b.summary in listing and "A bench by the pond." not in listing
    project = client.get(f"/projects/{b.id}").get_data(as_text=True)
    assert "In Easy Read" in project and _paragraphs(EASY_EN) in project

    client.get("/?easy=on")
    listing = client.get("/rounds/benches/proposals").get_data(as_text=True)
    assert _paragraphs(EASY_EN) in listing and b.summary not in listing
    project = client.get(f"/projects/{b.id}").get_data(as_text=True)
    # Above the summary, not repeated further down
    assert project.index(_paragraphs(EASY_EN)) < project.index(b.summary)
    assert "In Easy Read" not in project and project.count("A bench by the pond.") == 1
    assert client.post("/vote/", data={"code": bench["code"]}).status_code == 302
    ballot = client.get("/vote/ballot").get_data(as_text=True)
    assert "A bench by the pond.<br>People can sit and rest." in ballot
    assert b.summary not in ballot


def test_welsh_easy_read_pages_show_the_welsh_summary_and_mark_english_text(client, bench):
    b, plain = bench["bench"], bench["plain"]
    client.get("/?lang=cy&easy=on")
    listing = client.get("/rounds/benches/proposals").get_data(as_text=True)
    assert '<div class="easy-read-summary easy-read">' + _paragraphs(EASY_CY) in listing
    assert "A bench by the pond." not in listing
    # No Welsh was given for the swings: their English is marked as English.
    assert '<div class="easy-read-summary easy-read" lang="en"><p>New swings.</p>' in listing
    assert f'<a href="/projects/{plain.id}" lang="en">Swings</a>' in listing
    assert f'<a href="/projects/{b.id}">Mainc</a>' in listing
    project = client.get(f"/projects/{b.id}").get_data(as_text=True)
    assert "<h1>Mainc</h1>" in project and _paragraphs(EASY_CY) in project
    swings = client.get(f"/projects/{plain.id}").get_data(as_text=True)
    assert '<h1 lang="en">Swings</h1>' in swings
    assert f'<p class="lead" lang="en">{plain.summary}</p>' in swings
    # On an English page nothing is marked: it is the page's own language.
    client.get("/?lang=en")
    assert "<h1>Swings</h1>" in client.get(f"/projects/{plain.id}").get_data(as_text=True)


def test_categories_have_a_picture_beside_their_name_in_every_mode(client, bench):
    b, plain = bench["bench"], bench["plain"]
    older = ('<span class="category"><svg class="icon" aria-hidden="true" focusable="false">'
             '<use href="#icon-older"></use></svg>Older people</span>')
    parks = ('<span class="category"><svg class="icon" aria-hidden="true" focusable="false">'
             '<use href="#icon-environment"></use></svg>Parks and trees</span>')
    for mode in ("off", "on"):
        listing = client.get(f"/rounds/benches/proposals?easy={mode}").get_data(as_text=True)
        assert older in listing and parks in listing
        assert listing.count('<symbol id="icon-older"') == 1
        assert older in client.get(f"/projects/{b.id}").get_data(as_text=True)
        assert parks in client.get(f"/projects/{plain.id}").get_data(as_text=True)
    assert client.post("/vote/", data={"code": bench["code"]}).status_code == 302
    ballot = client.get("/vote/ballot").get_data(as_text=True)
    assert older in ballot and parks in ballot


def test_the_round_page_lists_its_categories_with_pictures(client):
    council, _parts = factories.council_with_partnerships(["North"])
    factories.round_(council, slug="themes", categories=["green", "Housing", "Something else"])
    db.session.commit()
    html = client.get("/rounds/themes").get_data(as_text=True)
    for icon, label in (("environment", "Green spaces"), ("housing", "Housing"),
                        ("category", "Something else")):
        assert f'<use href="#icon-{icon}"></use></svg>{label}</span>' in html


def test_the_proposal_form_takes_a_welsh_easy_read_summary(client, app):
    council, _parts = factories.council_with_partnerships(["North"])
    factories.user(council, "ann@example.org", ORGANISER)
    round_ = factories.round_(council, slug="ideas", pot=10_000_00)
    db.session.commit()
    login(client, "ann@example.org")
    form = client.get("/proposals/new/ideas").get_data(as_text=True)
    assert 'name="easy_read_summary_cy"' in form and "Easy Read summary in Welsh (optional)" in form
    response = client.post("/proposals/new/ideas", data={
        "proposer_type": "resident", "title": "Bench", "action": "draft",
        "easy_read_summary_cy": " Mainc.\r\nI eistedd. "})
    assert response.status_code == 302, response.get_data(as_text=True)
    proposal = db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id)).one()
    assert proposal.easy_read_summary_cy == "Mainc.\nI eistedd."
    edit = client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    assert "Mainc.\nI eistedd.</textarea>" in edit
