"""The resident's ballot pages for every ballot type, through the real pages: fill in, review,
send, check the receipt; bad input of every kind; changing a vote."""

from __future__ import annotations

import html as htmllib
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import Ballot, BallotChoice, Photo
from pb.services import rounds, voting
from tests import factories
from tests.functional.helpers import receipt_on_page

POT = 5_000_00


class FormState(HTMLParser):
    """What a browser would send back from the page: ticked boxes, chosen options, typed text."""

    def __init__(self, page: str):
        super().__init__()
        self.state: dict[str, list[str]] = {}
        self._select: str | None = None
        self.ids: set[str] = set()
        self.feed(page)

    def _add(self, name, value):
        self.state.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "input" and a.get("name") and a.get("name") != "csrf_token":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(a["name"], a.get("value"))
            elif kind not in ("hidden", "submit"):
                self._add(a["name"], a.get("value", ""))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value"))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def make_round(ballot_type, settings=None, *, codes=3, status="voting", **fields):
    council, (north, _south) = factories.council_with_partnerships()
    round_ = factories.round_(council, slug="ballots", pot=POT, ballot_type=ballot_type,
                              ballot_settings=settings or {}, **fields)
    projects = [factories.proposal(round_, north, title, cost) for title, cost in
                (("Allotment tools", 2_000_00), ("Bus shelter", 3_000_00),
                 ("Café tables", 1_000_00))]
    if status in ("voting", "closed"):
        rounds.open_voting(None, round_)
    issued = voting.issue_codes(None, round_, codes)
    if status == "closed":
        rounds.close_voting(None, round_)
    db.session.commit()
    return round_, projects, issued


def ballot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot))


def start(client, code):
    response = client.post("/vote/", data={"code": code})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/vote/ballot"


# --- A resident votes through the pages, for every ballot type -------------------------------

# (type, settings, form data from the projects a, b, c, expected (project, value) rows,
#  phrases on the review page in order)
HAPPY = [
    ("approval", {"max_choices": 2},
     lambda a, b, c: {"projects": [str(a.id), str(c.id)]},
     lambda a, b, c: [(a, 1), (c, 1)], ["Allotment tools", "£2,000", "Café tables", "£1,000"]),
    ("knapsack", {},
     lambda a, b, c: {"projects": [str(a.id), str(b.id)]},
     lambda a, b, c: [(a, 1), (b, 1)], ["Allotment tools", "Bus shelter", "£5,000 of £5,000"]),
    ("choose-one", {},
     lambda a, b, c: {"project": str(b.id)},
     lambda a, b, c: [(b, 1)], ["Bus shelter", "£3,000"]),
    ("ranking", {"max_choices": 3},
     lambda a, b, c: {f"rank-{c.id}": "1", f"rank-{a.id}": "2", f"rank-{b.id}": ""},
     lambda a, b, c: [(c, 1), (a, 2)], ["Place 1", "Café tables", "Place 2", "Allotment tools"]),
    ("scoring", {"min_points": 0, "max_points": 5},
     lambda a, b, c: {f"score-{a.id}": "5", f"score-{b.id}": "0", f"score-{c.id}": ""},
     lambda a, b, c: [(a, 5), (b, 0)],
     ["Allotment tools", "Score: 5 out of 5", "Bus shelter", "Score: 0 out of 5"]),
    ("points", {"max_total_points": 10},
     lambda a, b, c: {f"points-{a.id}": "7", f"points-{b.id}": "0", f"points-{c.id}": "3"},
     lambda a, b, c: [(a, 7), (c, 3)],
     ["Allotment tools", "7 points", "Café tables", "3 points", "10 of 10"]),
]


@pytest.mark.parametrize(("ballot_type", "settings", "form", "expected", "review_text"), HAPPY,
                         ids=[case[0] for case in HAPPY])
def test_resident_votes_through_the_pages(app, ballot_type, settings, form, expected,
                                          review_text):
    round_, (a, b, c), codes = make_round(ballot_type, settings)
    resident = app.test_client()
    start(resident, codes[0])
    page = resident.get("/vote/ballot").get_data(as_text=True)
    assert round_.ballot_type in page  # data-ballot-type names the widget
    assert voting.rules_for(round_).instruction(round_.pot) in htmllib.unescape(page)
    response = resident.post("/vote/ballot", data=form(a, b, c))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/vote/review"

    review = htmllib.unescape(resident.get("/vote/review").get_data(as_text=True))
    positions = [review.index(text) for text in review_text]
    assert positions == sorted(positions), review_text
    assert "Change your choices" in review
    assert "You can only vote once" in review

    # "Change your choices" goes back to the ballot with every choice still made.
    back = resident.get("/vote/ballot").get_data(as_text=True)
    sent = {k: v if isinstance(v, list) else [v] for k, v in form(a, b, c).items()}
    kept = FormState(back).state
    for name, values in sent.items():
        if ballot_type == "points" and values == ["0"]:
            continue  # no points is the same as blank
        assert kept.get(name, [""]) == values, name

    response = resident.post("/vote/submit")
    assert response.headers["Location"] == "/vote/done"
    done = resident.get("/vote/done").get_data(as_text=True)
    receipt = receipt_on_page(done)
    assert "Check your vote" in done

    stored = db.session.scalars(select(Ballot)).one()
    rows = [(ch.proposal_id, ch.value) for ch in stored.choices]
    assert rows == [(p.id, value) for p, value in expected(a, b, c)]
    assert stored.receipt == receipt and stored.channel == "online"

    checked = resident.get(f"/vote/receipt?receipt={receipt}").get_data(as_text=True)
    assert f"Yes. A ballot with receipt {receipt} is in the count" in checked
    for p in (a, b, c):  # the receipt never shows what was chosen
        assert p.title not in htmllib.unescape(checked)

    result = rounds.close_voting(None, round_)
    db.session.commit()
    assert result.ballot_count == 1
    assert result.data  # the engine accepted the ballot


# --- Bad input: 400, a message at the field, choices kept, nothing stored ---------------------

# (id, type, settings, form data, message, field id (None: the whole ballot), what must be kept)
BAD = [
    ("approval-too-many", "approval", {"max_choices": 2},
     lambda a, b, c: {"projects": [str(a.id), str(b.id), str(c.id)]},
     "Choose no more than 2 projects.", None,
     lambda a, b, c: {"projects": [str(a.id), str(b.id), str(c.id)]}),
    ("approval-too-few", "approval", {"min_choices": 2},
     lambda a, b, c: {"projects": [str(b.id)]},
     "Choose at least 2 projects.", None, lambda a, b, c: {"projects": [str(b.id)]}),
    ("approval-none", "approval", {}, lambda a, b, c: {},
     "Choose at least one project.", None, lambda a, b, c: {}),
    ("choose-one-none", "choose-one", {}, lambda a, b, c: {},
     "Choose one project.", None, lambda a, b, c: {}),
    ("choose-one-two", "choose-one", {},
     lambda a, b, c: {"project": str(a.id), "projects": [str(b.id)]},
     "Choose only one project.", None,
     lambda a, b, c: {"project": [str(a.id), str(b.id)]}),
    ("knapsack-over-limit", "knapsack", {},
     lambda a, b, c: {"projects": [str(a.id), str(b.id), str(c.id)]},
     "Your choices add up to £6,000, which is £1,000 more than the £5,000 available.", None,
     lambda a, b, c: {"projects": [str(a.id), str(b.id), str(c.id)]}),
    ("approval-unknown-project", "approval", {},
     lambda a, b, c: {"projects": [str(a.id), "999999"]},
     "One of the projects you chose is not on this ballot.", None,
     lambda a, b, c: {"projects": [str(a.id)]}),
    ("approval-not-a-number", "approval", {},
     lambda a, b, c: {"projects": [str(c.id), "lots"]},
     "One of the projects you chose is not on this ballot.", None,
     lambda a, b, c: {"projects": [str(c.id)]}),
    ("ranking-same-place", "ranking", {"max_choices": 3},
     lambda a, b, c: {f"rank-{a.id}": "1", f"rank-{b.id}": "1"},
     "You gave “Allotment tools” and “Bus shelter” the same place, 1.", "rank-{b}",
     lambda a, b, c: {f"rank-{a.id}": ["1"], f"rank-{b.id}": ["1"]}),
    ("ranking-gap", "ranking", {"max_choices": 3},
     lambda a, b, c: {f"rank-{a.id}": "1", f"rank-{c.id}": "3"},
     "Your places must run 1, 2, 3 without a gap: nothing is in place 2.", None,
     lambda a, b, c: {f"rank-{a.id}": ["1"], f"rank-{c.id}": ["3"], f"rank-{b.id}": [""]}),
    ("ranking-nothing", "ranking", {}, lambda a, b, c: {},
     "Put at least one project in place 1.", None, lambda a, b, c: {}),
    ("ranking-place-out-of-range", "ranking", {"max_choices": 2},
     lambda a, b, c: {f"rank-{a.id}": "1", f"rank-{b.id}": "3"},
     "“Bus shelter”: choose a place from 1 to 2.", "rank-{b}",
     lambda a, b, c: {f"rank-{a.id}": ["1"]}),
    ("ranking-not-a-number", "ranking", {},
     lambda a, b, c: {f"rank-{a.id}": "first", f"rank-{b.id}": "2"},
     "“Allotment tools”: choose a place from the list.", "rank-{a}",
     lambda a, b, c: {f"rank-{b.id}": ["2"]}),
    ("ranking-unknown-project", "ranking", {},
     lambda a, b, c: {f"rank-{a.id}": "1", "rank-999999": "2"},
     "One of the projects on your ballot is not on this ballot.", None,
     lambda a, b, c: {f"rank-{a.id}": ["1"]}),
    ("scoring-out-of-range", "scoring", {"min_points": 0, "max_points": 5},
     lambda a, b, c: {f"score-{a.id}": "9", f"score-{b.id}": "3"},
     "“Allotment tools”: give a score from 0 to 5, or leave it blank.", "score-{a}",
     lambda a, b, c: {f"score-{b.id}": ["3"], f"score-{c.id}": [""]}),
    ("scoring-below-range", "scoring", {"min_points": 1, "max_points": 5},
     lambda a, b, c: {f"score-{a.id}": "0", f"score-{c.id}": "4"},
     "“Allotment tools”: give a score from 1 to 5, or leave it blank.", "score-{a}",
     lambda a, b, c: {f"score-{c.id}": ["4"]}),
    ("scoring-not-a-number", "scoring", {},
     lambda a, b, c: {f"score-{a.id}": "great", f"score-{b.id}": "2"},
     "“Allotment tools”: enter a whole number, like 3.", "score-{a}",
     lambda a, b, c: {f"score-{b.id}": ["2"]}),
    ("scoring-nothing", "scoring", {}, lambda a, b, c: {f"score-{a.id}": ""},
     "Give a score to at least one project.", None, lambda a, b, c: {f"score-{a.id}": [""]}),
    ("points-over-allowance", "points", {"max_total_points": 10},
     lambda a, b, c: {f"points-{a.id}": "8", f"points-{b.id}": "5"},
     "You have given 13 points, but you have only 10. Take 3 away.", None,
     lambda a, b, c: {f"points-{a.id}": ["8"], f"points-{b.id}": ["5"], f"points-{c.id}": [""]}),
    ("points-negative", "points", {"max_total_points": 10},
     lambda a, b, c: {f"points-{a.id}": "-2", f"points-{b.id}": "4"},
     "“Allotment tools”: points cannot be less than 0.", "points-{a}",
     lambda a, b, c: {f"points-{a.id}": ["-2"], f"points-{b.id}": ["4"]}),
    ("points-not-a-number", "points", {"max_total_points": 10},
     lambda a, b, c: {f"points-{a.id}": "lots", f"points-{c.id}": "2"},
     "“Allotment tools”: enter a whole number, like 3.", "points-{a}",
     lambda a, b, c: {f"points-{a.id}": ["lots"], f"points-{c.id}": ["2"]}),
    ("points-one-project-over-its-cap", "points", {"max_total_points": 10, "max_points": 4},
     lambda a, b, c: {f"points-{a.id}": "6"},
     "“Allotment tools”: give it no more than 4 points.", "points-{a}",
     lambda a, b, c: {f"points-{a.id}": ["6"]}),
    ("points-below-minimum", "points", {"max_total_points": 10, "min_total_points": 5},
     lambda a, b, c: {f"points-{a.id}": "2"},
     "Give at least 5 points in all. You have given 2.", None,
     lambda a, b, c: {f"points-{a.id}": ["2"]}),
]


@pytest.mark.parametrize(("ballot_type", "settings", "form", "message", "field", "kept"),
                         [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_ballot_comes_back_with_the_message_at_the_field(client, ballot_type, settings,
                                                             form, message, field, kept):
    round_, (a, b, c), codes = make_round(ballot_type, settings)
    start(client, codes[0])
    response = client.post("/vote/ballot", data=form(a, b, c))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    text = htmllib.unescape(page)
    fid = (field or "projects-fieldset").format(a=a.id, b=b.id, c=c.id)

    # In the error summary, linking to the field, and beside the field itself.
    summary = text[text.index("There is a problem"):text.index("<h1>")]
    assert f'href="#{fid}"' in summary and message in summary
    parsed = FormState(page)
    assert fid in parsed.ids
    beside = text[text.index(f'id="{fid}-error"'):]
    assert message in beside[:beside.index("</p>")]

    # What the resident chose is still chosen.
    state = parsed.state
    for name, values in kept(a, b, c).items():
        # A select with nothing chosen sends its first option, "Not ranked" ("").
        assert sorted(state.get(name, [""])) == sorted(values if isinstance(values, list)
                                                       else [values]), name
    if not kept(a, b, c) and ballot_type in ("approval", "knapsack", "choose-one"):
        assert "projects" not in state and "project" not in state

    # Nothing stored, and the review page sends the resident back to the ballot.
    assert ballot_count() == 0
    assert client.get("/vote/review").headers["Location"] == "/vote/ballot"
    assert client.post("/vote/submit").status_code == 302
    assert ballot_count() == 0


def test_knapsack_page_shows_the_running_total_against_the_limit(client):
    _round, (a, b, _c), codes = make_round("knapsack", {"budget_limit": 4_000_00})
    start(client, codes[0])
    page = htmllib.unescape(client.get("/vote/ballot").get_data(as_text=True))
    assert "Chosen so far: £0 of £4,000." in page
    assert 'aria-live="polite"' in page
    response = client.post("/vote/ballot", data={"projects": [str(a.id), str(b.id)]})
    page = htmllib.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Chosen so far: £5,000. That is more than the £4,000 available" in page


def test_points_page_shows_the_points_left(client):
    _round, (a, _b, _c), codes = make_round("points", {"max_total_points": 10})
    start(client, codes[0])
    page = client.get("/vote/ballot").get_data(as_text=True)
    assert "Points left: 10 of 10." in page
    assert 'inputmode="numeric"' in page
    response = client.post("/vote/ballot", data={f"points-{a.id}": "12"})
    assert "You have given 2 points too many." in response.get_data(as_text=True)


def test_ballot_widgets_are_labelled_for_each_type(client, app):
    _round, (a, _b, _c), codes = make_round("ranking", {"max_choices": 2})
    start(client, codes[0])
    page = htmllib.unescape(client.get("/vote/ballot").get_data(as_text=True))
    assert f'<label class="label" for="rank-{a.id}">Place for Allotment tools</label>' in page
    assert page.count('<option value="">Not ranked</option>') == 3
    assert '<option value="3">' not in page  # only as many places as the round has


def test_scoring_widget_is_a_radio_group_per_project(client):
    _round, (a, _b, _c), codes = make_round("scoring", {"min_points": 1, "max_points": 3})
    start(client, codes[0])
    page = htmllib.unescape(client.get("/vote/ballot").get_data(as_text=True))
    assert '<legend class="label">Score for Allotment tools</legend>' in page
    values = [v for v in ("1", "2", "3", "")
              if f'name="score-{a.id}" value="{v}"' in page]
    assert values == ["1", "2", "3", ""]
    assert "No score" in page


def test_project_details_and_photo_open_on_the_ballot_page(client):
    round_, (a, _b, _c), codes = make_round("approval", status="proposals")
    photo = Photo(sha256="0" * 64, width=640, height=480, data=b"jpeg")
    db.session.add(photo)
    db.session.flush()
    a.photo_id = photo.id
    a.description = "Spades, forks and a shed to keep them in."
    rounds.open_voting(None, round_)
    db.session.commit()
    start(client, codes[0])
    page = htmllib.unescape(client.get("/vote/ballot").get_data(as_text=True))
    assert f'src="/photos/{photo.id}.jpg" alt="Photo for Allotment tools" loading="lazy"' in page
    assert "<details" in page and "More about this project" in page
    assert "Spades, forks and a shed to keep them in." in page
    assert 'target="_blank"' not in page


# --- Codes and opening times -------------------------------------------------------------------

@pytest.mark.parametrize(("status", "message"), [
    ("proposals", "Voting in Round ballots has not opened yet."),
    ("closed", "Voting in Round ballots has closed."),
], ids=["before-opening", "after-close"])
def test_voting_outside_the_voting_period(client, status, message):
    _round, _projects, codes = make_round("approval", status=status)
    response = client.post("/vote/", data={"code": codes[0]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page[page.index('id="code-error"'):]
    assert f'value="{codes[0]}"' in page
    assert ballot_count() == 0


def test_ballot_started_then_voting_closes(app):
    round_, (a, _b, _c), codes = make_round("approval")
    resident = app.test_client()
    start(resident, codes[0])
    rounds.close_voting(None, round_)
    db.session.commit()
    response = resident.post("/vote/ballot", data={"projects": [str(a.id)]},
                             follow_redirects=True)
    assert "Voting in Round ballots has closed." in response.get_data(as_text=True)
    assert ballot_count() == 0


def test_unknown_code(client):
    make_round("approval")
    response = client.post("/vote/", data={"code": "ZZZZZ-ZZZZZ"})
    assert response.status_code == 400
    assert "We do not recognise that code." in response.get_data(as_text=True)


def _vote(app, code, data):
    resident = app.test_client()
    start(resident, code)
    assert resident.post("/vote/ballot", data=data).headers["Location"] == "/vote/review"
    review = resident.get("/vote/review").get_data(as_text=True)
    assert resident.post("/vote/submit").headers["Location"] == "/vote/done"
    return receipt_on_page(resident.get("/vote/done").get_data(as_text=True)), review, resident


def test_round_without_vote_changing_refuses_a_used_code(app):
    round_, (a, b, _c), codes = make_round("approval")
    _vote(app, codes[0], {"projects": [str(a.id)]})
    again = app.test_client()
    response = again.post("/vote/", data={"code": codes[0]})
    assert response.status_code == 400
    assert "That code has already been used to vote." in response.get_data(as_text=True)
    assert again.get("/vote/ballot").headers["Location"] == "/vote/"
    assert ballot_count() == 1 and rounds.ballot_count(round_) == 1


def test_changing_a_vote_replaces_the_earlier_ballot(app):
    round_, (a, b, c), codes = make_round("ranking", {"max_choices": 3}, allow_vote_change=True)
    first, review, _ = _vote(app, codes[0], {f"rank-{a.id}": "1"})
    assert "You can vote again in the same way until voting closes. Only your last ballot " \
           "counts." in review

    resident = app.test_client()
    start(resident, codes[0])  # the used code is let in again
    page = resident.get("/vote/ballot").get_data(as_text=True)
    assert "You have already voted with this code." in page
    resident.post("/vote/ballot", data={f"rank-{b.id}": "1", f"rank-{c.id}": "2"})
    assert "This ballot will replace your earlier one." in resident.get("/vote/review").get_data(
        as_text=True)
    assert resident.post("/vote/submit").headers["Location"] == "/vote/done"
    done = resident.get("/vote/done").get_data(as_text=True)
    second = receipt_on_page(done)
    assert second != first
    assert "This ballot replaces the one you sent before." in done

    old = resident.get(f"/vote/receipt?receipt={first}").get_data(as_text=True)
    assert f"The ballot with receipt {first} was replaced by a later ballot" in old
    assert "Yes. A ballot" not in old
    new = resident.get(f"/vote/receipt?receipt={second}").get_data(as_text=True)
    assert f"Yes. A ballot with receipt {second} is in the count" in new

    assert ballot_count() == 2 and rounds.ballot_count(round_) == 1
    counted = db.session.scalars(select(Ballot).where(Ballot.superseded_at.is_(None))).one()
    assert counted.receipt == second
    assert [(ch.proposal_id, ch.value) for ch in counted.choices] == [(b.id, 1), (c.id, 2)]
    assert db.session.scalar(select(func.count()).select_from(BallotChoice)) == 3
    result = rounds.close_voting(None, round_)
    db.session.commit()
    assert result.ballot_count == 1


def test_receipt_not_found(client):
    make_round("approval")
    page = client.get("/vote/receipt?receipt=ABCD-EFGH-JKMN").get_data(as_text=True)
    assert "We could not find a ballot with that receipt code." in page


def test_vote_pages_are_never_cached_and_send_no_referrer(app):
    _round, (a, _b, _c), codes = make_round("approval")
    resident = app.test_client()
    seen = [resident.get(f"/vote/?code={codes[0]}"), resident.post("/vote/", data={"code": "x"})]
    start(resident, codes[0])
    seen += [resident.get("/vote/ballot"), resident.post("/vote/ballot", data={}),
             resident.post("/vote/ballot", data={"projects": [str(a.id)]}),
             resident.get("/vote/review"), resident.post("/vote/submit"),
             resident.get("/vote/done"), resident.get("/vote/receipt?receipt=ABCD-EFGH-JKMN")]
    assert [r.status_code for r in seen] == [200, 400, 200, 400, 302, 200, 302, 200, 200]
    for response in seen:
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert resident.get("/").headers["Referrer-Policy"] == "same-origin"
