"""The live event screen: turnout while voting (never a project's count), "results coming" once
closed, the reveal once published; it refreshes itself and is never cached."""

from __future__ import annotations

import re

import pytest

from pb.extensions import db
from pb.models.user import ORGANISER
from pb.services import rounds, voting
from pb.views_helpers import money
from tests import factories
from tests.functional.helpers import login

TITLES = ("Allotment", "Bus shelter", "Community fridge")


@pytest.fixture
def voting_round(app):
    """A round open for voting with three projects and codes to vote with; `cast` votes."""
    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "organiser@example.org", ORGANISER)
    r = factories.round_(council, slug="spring", pot=1_000_00, voting_methods=["codes"])
    projects = {t: factories.proposal(r, north, t, c)
                for t, c in zip(TITLES, (600_00, 400_00, 100_00))}
    rounds.open_voting(organiser, r)
    codes = iter(voting.issue_codes(organiser, r, 10))
    db.session.commit()

    def cast(titles, channel="online", district=None):
        credential = voting.find_credential(next(codes))
        voting.cast_ballot(credential.id, [(projects[t].id, 1) for t in titles],
                           channel=channel, district=district)
        db.session.commit()

    return r, organiser, cast


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response


def _ballots(html: str) -> int:
    match = re.search(r'id="live-ballots"[^>]*>(\d+)<', html)
    assert match, "no ballot count on the screen"
    return int(match.group(1))


def _refresh(html: str) -> int | None:
    match = re.search(r'<meta http-equiv="refresh" content="(\d+)">', html)
    return int(match.group(1)) if match else None


def test_while_voting_the_screen_shows_turnout_rising_and_no_project(client, voting_round):
    round_, _organiser, cast = voting_round
    html = _get(client, "/results/spring/live").get_data(as_text=True)
    assert round_.title in html and "Ballots so far" in html
    assert _ballots(html) == 0
    assert _refresh(html) == 10
    assert re.search(r'<script src="/static/js/live\.js\?v=[0-9a-f]+">', html)
    # A QR code and the short link to the voting page.
    assert 'class="live-qr-code"' in html and "/vote/spring" in html

    cast(["Allotment", "Bus shelter"])
    cast(["Community fridge"], channel="kiosk")
    cast(["Allotment"], channel="paper")
    html = _get(client, "/results/spring/live").get_data(as_text=True)
    assert _ballots(html) == 3
    channels = dict(re.findall(r'class="live-channel-label">([^<]+)</span> '
                               r'<strong class="live-channel-count">(\d+)<', html))
    assert channels == {"Online": "1", "At an event": "1", "Paper": "1"}
    for title in TITLES:
        assert title not in html

    data = _get(client, "/results/spring/live.json").get_json()
    assert data["status"] == "voting" and data["ballots"] == 3
    assert {c["key"]: c["count"] for c in data["by_channel"]} == {"online": 1, "kiosk": 1,
                                                                  "paper": 1}
    assert data["results"] is None
    cast(["Bus shelter"])
    assert _get(client, "/results/spring/live.json").get_json()["ballots"] == 4


def test_once_closed_the_screen_says_results_are_coming_and_shows_no_count(client,
                                                                           voting_round):
    round_, organiser, cast = voting_round
    for titles in (["Allotment"], ["Allotment", "Bus shelter"], ["Community fridge"]):
        cast(titles)
    rounds.close_voting(organiser, round_)
    db.session.commit()
    # Even the organiser, signed in on the projector's laptop, sees what the hall sees.
    for signed_in in (False, True):
        if signed_in:
            login(client, organiser.email)
        html = _get(client, "/results/spring/live").get_data(as_text=True)
        assert "Voting has closed." in html and "Results coming soon." in html
        assert _ballots(html) == 3
        assert _refresh(html) == 10
        for title in TITLES:
            assert title not in html
        assert "Given to projects" not in html
        data = _get(client, "/results/spring/live.json").get_json()
        assert data["status"] == "closed" and data["ballots"] == 3 and data["results"] is None
        assert not any(title in str(data) for title in TITLES)


def test_once_published_the_screen_reveals_the_funded_projects(client):
    world = factories.counted_round(publish=True)
    data = world.result.data
    html = _get(client, "/results/spring/live").get_data(as_text=True)
    names = {str(p.id): t for t, p in world.projects.items()}
    funded = [names[i] for i in data["selected"]]
    assert funded == ["Bus shelter", "Allotment"]
    items = re.findall(r'<span class="live-project">([^<]+)</span>\s*'
                       r'<span class="live-award">([^<]+)', html)
    awards = {p["id"]: p["award"] for p in data["projects"]}
    assert items == [(names[i], money(awards[i])) for i in data["selected"]]
    assert "Community fridge" not in html  # the screen shows what was funded
    assert re.search(r'class="live-total">£1,000<', html)
    assert "5 ballots counted." in html
    assert 'data-reveal="step"' in html
    assert _refresh(html) is None  # nothing changes once published: the reveal is not reset

    # ?reveal=all: everything at once, even with JavaScript.
    assert 'data-reveal' not in client.get("/results/spring/live?reveal=all").get_data(
        as_text=True)

    live = _get(client, "/results/spring/live.json").get_json()
    assert live["status"] == "published" and live["ballots"] == 5
    assert live["results"]["spent"] == data["spent"] == 1_000_00
    assert [f["title"] for f in live["results"]["funded"]] == funded
    assert [f["award"] for f in live["results"]["funded"]] == [awards[i] for i in
                                                               data["selected"]]


def test_before_voting_opens_the_screen_says_so(client):
    council, (north,) = factories.council_with_partnerships(["North"])
    r = factories.round_(council, slug="later", status="proposals")
    factories.proposal(r, north, "Allotment", 600_00)
    db.session.commit()
    html = _get(client, "/results/later/live").get_data(as_text=True)
    assert "Voting has not opened yet." in html and "live-ballots" not in html
    data = _get(client, "/results/later/live.json").get_json()
    assert data == {"slug": "later", "title": r.title, "status": "waiting", "ballots": 0,
                    "by_channel": [], "results": None}


@pytest.mark.parametrize("url", ["/results/nope/live", "/results/nope/live.json",
                                 "/results/nope%00/live.json", "/results/draft/live",
                                 "/results/draft/live.json"],
                         ids=["unknown", "unknown-json", "nul", "draft", "draft-json"])
def test_unknown_and_draft_rounds_are_not_found(client, url):
    council, _ = factories.council_with_partnerships(["North"])
    factories.round_(council, slug="draft", status="draft")
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 404
