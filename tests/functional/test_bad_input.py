"""Bad input: the form comes back with what was typed and a message beside the field; never a 500."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import Ballot, Proposal
from pb.models.user import MEMBER, ORGANISER
from pb.services import rounds, voting
from tests import factories
from tests.functional.helpers import login


@pytest.fixture
def setup(app):
    council, (north, south) = factories.council_with_partnerships()
    factories.user(council, "member@north.example", MEMBER, north)
    organiser = factories.user(council, "organiser@council.example", ORGANISER)
    proposing = factories.round_(council, slug="ideas", pot=10_000_00)
    voting_round = factories.round_(council, slug="vote", pot=5_000_00, ballot_type="knapsack")
    big = factories.proposal(voting_round, south, "Big project", 4_000_00)
    small = factories.proposal(voting_round, south, "Small project", 1_500_00)
    rounds.open_voting(organiser, voting_round)
    codes = voting.issue_codes(organiser, voting_round, 3)
    db.session.commit()
    return dict(north=north, proposing=proposing, voting=voting_round, big=big, small=small,
                codes=codes, organiser=organiser)


def _proposal_form(setup, **overrides):
    data = {"proposer_type": "partnership", "partnership": setup["north"].id,
            "title": "Bench by the pond", "summary": "A bench for people to rest.",
            "description": "Oak, with a plaque.", "cost": "750", "area": "all",
            "category": "green", "contact": "bench@example.org", "action": "submit",
            "cost_lines-0-item": "Oak bench and plaque"}
    data.update(overrides)
    data.setdefault("cost_lines-0-amount", "750")
    return data


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        ("", "Enter how much you need."),
        ("lots", "Enter an amount in numbers"),
        ("-50", "Enter an amount greater than zero."),
        ("0", "Enter an amount greater than zero."),
        ("12.345", "Enter the amount to the nearest penny."),
        ("10000.01", "more than the whole pot of £10,000"),
    ],
    ids=["empty", "non-numeric", "negative", "zero", "fraction-of-penny", "one-penny-over-pot"],
)
def test_bad_amount_redisplays_the_form_with_input_kept(client, setup, cost, message):
    login(client, "member@north.example")
    response = client.post("/proposals/new/ideas", data=_proposal_form(setup, cost=cost))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'id="cost-error"' in html or "cost" in html.split(message)[0][-400:]
    # Nothing typed is lost.
    assert 'value="Bench by the pond"' in html
    assert "A bench for people to rest." in html
    assert "Oak, with a plaque." in html
    assert f'value="{cost}"' in html
    assert db.session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.round_id == setup["proposing"].id)) == 0


def test_cost_of_exactly_the_pot_is_accepted(client, setup):
    login(client, "member@north.example")
    response = client.post("/proposals/new/ideas", data=_proposal_form(
        setup, cost="10,000", **{"cost_lines-0-amount": "10000"}))
    assert response.status_code == 302


def test_empty_required_fields_each_get_a_message(client, setup):
    login(client, "member@north.example")
    response = client.post("/proposals/new/ideas", data=_proposal_form(
        setup, title="", summary="", category="", contact=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Enter a title.", "Enter a short summary.", "Choose a category.",
                    "Enter a contact email or phone number."):
        assert message in html
    assert "There is a problem" in html
    assert 'value="750"' in html


def test_proposal_to_a_round_not_taking_proposals(client, setup):
    login(client, "member@north.example")
    response = client.post("/proposals/new/vote", data=_proposal_form(setup))
    assert response.status_code == 400
    assert "This round is not taking proposals now." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the code from your voting card."),
        ("ABC", "Enter the 10-character code"),
        ("ZZZZZ-ZZZZZ", "We do not recognise that code."),
        ("<script>alert(1)</script>", "Enter the 10-character code"),
    ],
    ids=["empty", "too-short", "unknown", "script"],
)
def test_bad_voting_code(client, setup, code, message):
    response = client.post("/vote/", data={"code": code})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert "<script>alert(1)</script>" not in html


def test_used_code_cannot_vote_again(app, setup):
    code = setup["codes"][0]
    first = app.test_client()
    first.post("/vote/", data={"code": code})
    first.post("/vote/ballot", data={"projects": [str(setup["small"].id)]})
    assert first.post("/vote/submit").headers["Location"] == "/vote/done"

    again = app.test_client()
    response = again.post("/vote/", data={"code": code.lower().replace("-", " ")})
    assert response.status_code == 400
    assert "That code has already been used to vote." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_two_browsers_with_one_code_cast_one_ballot(app, setup):
    code = setup["codes"][1]
    a, b = app.test_client(), app.test_client()
    for resident in (a, b):
        resident.post("/vote/", data={"code": code})
        resident.post("/vote/ballot", data={"projects": [str(setup["small"].id)]})
    assert a.post("/vote/submit").headers["Location"] == "/vote/done"
    response = b.post("/vote/submit", follow_redirects=True)
    assert "already been used" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_ballot_over_budget_keeps_the_choices(client, setup):
    client.post("/vote/", data={"code": setup["codes"][0]})
    chosen = [str(setup["big"].id), str(setup["small"].id)]  # £5,500 against a £5,000 pot
    response = client.post("/vote/ballot", data={"projects": chosen})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "£5,500, which is £500 more than the £5,000 available" in html
    ticked = re.findall(r'<input class="checkbox"[^>]*value="(\d+)"[^>]*\bchecked\b', html)
    assert sorted(ticked) == sorted(chosen)
    assert client.get("/vote/review").headers["Location"] == "/vote/ballot"


@pytest.mark.parametrize("projects", [[], ["999999"], ["abc"]], ids=["none", "unknown-id", "not-a-number"])
def test_ballot_with_no_or_unknown_projects(client, setup, projects):
    client.post("/vote/", data={"code": setup["codes"][0]})
    response = client.post("/vote/ballot", data={"projects": projects})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose at least one project." in html or "not on this ballot" in html


def test_ballot_in_a_closed_round(app, setup):
    resident = app.test_client()
    resident.post("/vote/", data={"code": setup["codes"][2]})
    resident.post("/vote/ballot", data={"projects": [str(setup["small"].id)]})
    rounds.close_voting(setup["organiser"], setup["voting"])
    db.session.commit()
    response = resident.post("/vote/submit", follow_redirects=True)
    assert response.status_code == 200
    assert "Voting in Round vote has closed." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    response = app.test_client().post("/vote/", data={"code": setup["codes"][0]})
    assert response.status_code == 400
    assert "Voting in Round vote has closed." in response.get_data(as_text=True)


def test_unknown_pages_get_a_friendly_404(client, setup):
    for url in ("/no-such-page", "/rounds/nope", "/results/nope", "/projects/424242",
                "/projects/not-a-number", "/organise/nope"):
        response = client.get(url)
        assert response.status_code in (302, 404), url
        if response.status_code == 404:
            assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("post", "/vote/", {"data": b"\xff\xfe\x00garbage", "content_type": "application/x-www-form-urlencoded"}),
        ("post", "/vote/", {"json": {"code": ["a", "b"]}}),
        ("post", "/vote/ballot", {"data": {"projects": ["1"] * 1000}}),
        ("post", "/vote/submit", {}),
        ("get", "/vote/receipt?receipt=" + "%00" * 50, {}),
        ("get", "/vote/?code=" + "x" * 5000, {}),
        ("post", "/auth/login", {"data": {"email": "a" * 10000, "password": "\x00"}}),
        ("put", "/", {}),
        ("post", "/organise/vote/close", {}),
        ("get", "/rounds/%ff%fe", {}),
    ],
    ids=["binary-form", "json-body", "huge-ballot", "submit-without-ballot", "nul-receipt",
         "long-code", "long-login", "wrong-method", "organise-anonymous", "bad-utf8-url"],
)
def test_malformed_requests_never_give_a_500(client, setup, method, url, kwargs):
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]


def test_sign_in_with_a_wrong_password_keeps_the_email(client, setup):
    response = client.post("/auth/login", data={"email": "member@north.example", "password": "nope"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The email address or password is not right." in html
    assert 'value="member@north.example"' in html


def test_over_long_summary_is_refused_and_kept_whole(client, setup):
    login(client, "member@north.example")
    summary = "A bench for the pond. " * 20  # 440 characters
    response = client.post("/proposals/new/ideas", data=_proposal_form(setup, summary=summary))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Keep the summary to 280 characters or fewer." in html
    assert summary.strip() in html
    assert 'maxlength' not in html.split('id="summary"')[1].split(">")[0]


@pytest.mark.parametrize("url", ["/rounds/%00", "/results/%00", "/vote/%00"])
def test_a_nul_character_in_an_address_is_not_found_not_a_500(app, client, url):
    assert client.get(url).status_code == 404


def test_a_nul_character_in_a_query_is_refused(app, client):
    assert client.get("/rounds/spring/proposals?area=%00").status_code == 400


@pytest.mark.parametrize("body", [
    {"data": {"email": "a\x00@example.org", "password": "x"}},
    {"data": {"email": "a\x00@example.org", "password": "x"}, "content_type": "multipart/form-data"},
    {"data": {"email": ["a@example.org", "b\x00@example.org"], "password": "x"}},
    {"data": {"email\x00": "a@example.org", "password": "x"}},
    {"json": {"email": "a\x00@example.org", "password": "x"}},  # Flask-WTF reads JSON too
], ids=["urlencoded", "multipart", "second-value", "in-a-name", "json"])
def test_a_nul_character_in_a_form_is_refused(app, client, body):
    response = client.post("/auth/login", **body)
    assert response.status_code == 400
    # Refused before the form is read: the database (PostgreSQL refuses NUL) is never asked.
    assert "The email address or password is not right." not in response.get_data(as_text=True)


HUGE = "9" * 400  # more digits than a float can hold: the range check once raised OverflowError


@pytest.mark.parametrize(("url", "field", "message"), [
    ("/organise/vote/codes", "count", "Choose between 1 and"),
    ("/organise/ideas/settings", "threshold_percent", "Enter a number from 1 to 100."),
    ("/organise/ideas/settings", "min_choices", "Enter a number from 1 to 100."),
], ids=["codes-count", "threshold", "min-choices"])
def test_a_huge_number_is_out_of_range_not_a_500(client, setup, url, field, message):
    login(client, "organiser@council.example")
    response = client.post(url, data={field: HUGE})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert f'value="{HUGE}"' in html  # kept as typed


def test_a_huge_area_filter_matches_nothing(client, setup):
    factories.proposal(setup["proposing"], setup["north"], "Bench", 100_00)
    db.session.commit()
    response = client.get(f"/rounds/ideas/proposals?area={HUGE}")
    assert response.status_code == 200
    assert "Bench" not in response.get_data(as_text=True)
    assert "Bench" in client.get("/rounds/ideas/proposals").get_data(as_text=True)
