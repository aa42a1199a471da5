"""Setting up a round through the pages, and settings that stay fixed once voting opens."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from pb.extensions import db
from pb.models import Area, AuditEntry, Round, User
from pb.models.user import MEMBER, ORGANISER
from pb.services import rounds
from tests import factories
from tests.functional.helpers import login


@pytest.fixture
def council(app):
    council, (north, south) = factories.council_with_partnerships()
    db.session.add_all([Area(partnership=north, name="Broken Cross", kind="ward"),
                        Area(partnership=south, name="SK11", kind="postcode_district")])
    factories.user(council, "organiser@council.example", ORGANISER)
    factories.user(council, "northorg@council.example", ORGANISER, north)
    factories.user(council, "member@north.example", MEMBER, north)
    db.session.commit()
    return council


def _form(**overrides):
    data = {"title": "Small Grants 2027", "description": "Up to £250 for street projects.",
            "partnership": 0, "pot": "5,000", "currency": "GBP", "award_min": "",
            "award_max": "250", "categories": ["green", "older_people"],
            "extra_categories": "Sport\n", "proposals_open_at": "2027-01-10",
            "proposals_close_at": "2027-02-10", "voting_opens_at": "2027-03-14 10:00",
            "voting_closes_at": "2027-03-14 16:00", "ballot_type": "knapsack",
            "budget_limit": "1000", "rule": "equal-shares", "use_leftover": "y",
            "tie_break": "chain", "voting_methods": ["codes"]}
    data.update(overrides)
    return data


def _round(slug="small-grants-2027") -> Round:
    db.session.expire_all()
    return db.session.scalars(select(Round).where(Round.slug == slug)).one()


def test_organiser_sets_up_a_round_with_a_band(client, council):
    login(client, "organiser@council.example")
    assert client.get("/organise/rounds/new").status_code == 200
    response = client.post("/organise/rounds/new", data=_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/organise/small-grants-2027"
    round_ = _round()
    assert (round_.pot, round_.award_min, round_.award_max) == (5_000_00, None, 250_00)
    assert round_.categories == ["green", "older_people", "Sport"]
    assert round_.ballot_type == "knapsack" and round_.ballot_settings == {"budget_limit": 1_000_00}
    assert round_.rule == "equal-shares" and round_.rule_settings == {"completion": "add1"}
    assert round_.status == "draft" and round_.partnership_id is None
    # 10:00 on 14 March is GMT, so 10:00 UTC; dates are shown back as typed.
    assert round_.voting_opens_at == datetime(2027, 3, 14, 10, 0, tzinfo=timezone.utc)
    page = client.get("/organise/small-grants-2027/settings").get_data(as_text=True)
    assert 'value="2027-03-14 10:00"' in page and 'value="250"' in page
    assert "round.created" in set(db.session.scalars(select(AuditEntry.action)))

    # The public round page shows the band and the timetable once proposals open.
    client.post("/organise/small-grants-2027/open-proposals")
    public = client.get("/rounds/small-grants-2027").get_data(as_text=True)
    assert "up to £250" in public and "Sunday 14 March 2027, 10:00" in public


def test_british_summer_time_is_respected(client, council):
    login(client, "organiser@council.example")
    client.post("/organise/rounds/new", data=_form(voting_opens_at="2027-06-01 10:00",
                                                    voting_closes_at="2027-06-01 16:00"))
    assert _round().voting_opens_at == datetime(2027, 6, 1, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a name for the round."),
        ({"pot": "lots"}, "pot", "Enter an amount in numbers"),
        ({"pot": "-5"}, "pot", "Enter an amount greater than zero."),
        ({"award_max": "6000"}, "award_max", "cannot be more than the pot"),
        ({"award_min": "300"}, "award_min", "must not be more than the largest"),
        ({"award_min": "abc"}, "award_min", "Enter an amount in numbers"),
        ({"voting_closes_at": "2027-03-13"}, "voting_closes_at", "comes before an earlier step"),
        ({"voting_opens_at": "31/02/2027"}, "voting_opens_at", "Enter a real date"),
        ({"rule": "greedy-threshold"}, "threshold_percent", "share of voters"),
        ({"rule": "borda"}, "rule", "Choose how the money is shared."),
        ({"budget_limit": "9000"}, "budget_limit", "no more than the pot"),
        ({"areas": ["999999"]}, "areas", "Choose areas of this council"),
    ],
    ids=["no-title", "pot-words", "pot-negative", "band-over-pot", "band-upside-down",
         "band-words", "dates-out-of-order", "impossible-date", "threshold-missing",
         "unknown-rule", "limit-over-pot", "foreign-area"],
)
def test_bad_round_settings_keep_the_input(client, council, overrides, field, message):
    login(client, "organiser@council.example")
    response = client.post("/organise/rounds/new", data=_form(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert f'href="#{field}"' in html, html.split('class="error-summary"')[1][:600]
    assert 'value="Up to £250 for street projects."' in html or \
        "Up to £250 for street projects." in html
    assert db.session.scalars(select(Round)).first() is None


def test_who_may_vote_and_the_ballot_settings_are_saved_and_shown_back(client, council):
    login(client, "organiser@council.example")
    response = client.post("/organise/rounds/new", data=_form(
        voting_methods=["email", "postcode"], eligible_districts="sk10, SK11\nsk17",
        min_age="16", equality_questions="y", ballot_type="scoring", min_points="1",
        max_points="10", max_choices="4"))
    assert response.status_code == 302, response.get_data(as_text=True)
    round_ = _round()
    assert round_.voting_methods == ["email", "postcode"]
    assert round_.eligible_districts == ["SK10", "SK11", "SK17"]
    assert round_.min_age == 16 and round_.equality_questions is True
    assert round_.ballot_settings == {"min_points": 1, "max_points": 10, "max_choices": 4}
    page = client.get("/organise/small-grants-2027/settings").get_data(as_text=True)
    assert "SK10\nSK11\nSK17" in page and 'name="min_age" type="text" value="16"' in page
    assert 'name="voting_methods" value="email" checked' in page
    assert 'name="voting_methods" value="codes" checked' not in page
    assert 'name="max_points" type="text" value="10"' in page
    # Every kind of ballot is explained in plain words.
    assert "numbers their favourites 1, 2, 3" in page and "shares out a number of points" in page


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [({"ballot_type": "ranking", "rank_places": "3", "max_choices": "8"}, {"max_choices": 3}),
     ({"ballot_type": "points", "max_total_points": "20", "min_points": "4"},
      {"max_total_points": 20}),
     ({"ballot_type": "choose-one", "budget_limit": "1000"}, {})],
    ids=["ranking-places", "points-allowance", "only-the-type's-own-settings"],
)
def test_each_ballot_type_keeps_its_own_settings(client, council, overrides, expected):
    login(client, "organiser@council.example")
    response = client.post("/organise/rounds/new", data=_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _round().ballot_settings == expected
    page = client.get("/organise/small-grants-2027/settings").get_data(as_text=True)
    for name, value in expected.items():
        shown = "rank_places" if overrides["ballot_type"] == "ranking" else name
        assert f'name="{shown}" type="text" value="{value}"' in page


@pytest.mark.parametrize(
    ("overrides", "field", "message", "kept"),
    [({"voting_methods": []}, "voting_methods", "Choose at least one way", None),
     ({"eligible_districts": "SK10\nbanana"}, "eligible_districts", "BANANA: not a postcode "
      "district", "SK10\nbanana"),
     ({"eligible_districts": "SK10 6AB"}, "eligible_districts", "Enter only the first part",
      "SK10 6AB"),
     ({"min_age": "sixteen"}, "min_age", "Enter a whole number", 'value="sixteen"'),
     ({"min_age": "40"}, "min_age", "from 1 to 25", 'value="40"'),
     ({"ballot_type": "scoring", "min_points": "5", "max_points": "5"}, "max_points",
      "The highest score must be more than the lowest", 'name="min_points" type="text" value="5"'),
     ({"ballot_type": "scoring", "max_points": "0"}, "max_points", "from 1 to 100", None),
     ({"ballot_type": "points", "max_total_points": "0"}, "max_total_points",
      "from 1 to 1,000", 'name="max_total_points" type="text" value="0"'),
     ({"ballot_type": "ranking", "rank_places": "0"}, "rank_places", "from 1 to 100", None),
     ({"min_choices": "two"}, "min_choices", "Enter a whole number", 'value="two"')],
    ids=["no-method", "bad-district", "full-postcode", "age-words", "age-too-high",
         "score-upside-down", "score-zero", "no-points", "no-places", "choices-words"],
)
def test_bad_voting_settings_come_back_with_the_input(client, council, overrides, field, message,
                                                     kept):
    login(client, "organiser@council.example")
    response = client.post("/organise/rounds/new", data=_form(**overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert f'href="#{field}"' in html, html.split('class="error-summary"')[1][:600]
    assert kept is None or kept in html
    assert 'value="Small Grants 2027"' in html
    assert db.session.scalars(select(Round)).first() is None


def test_partnership_organiser_can_only_set_up_rounds_for_their_partnership(client, council):
    north = council.partnerships[0]
    login(client, "northorg@council.example")
    page = client.get("/organise/rounds/new").get_data(as_text=True)
    assert "The whole council" not in page
    response = client.post("/organise/rounds/new", data=_form(partnership=0))
    assert response.status_code == 400 and "Choose a partnership you organise." in \
        response.get_data(as_text=True)
    south = council.partnerships[1]
    assert client.post("/organise/rounds/new",
                       data=_form(partnership=south.id)).status_code == 400
    assert client.post("/organise/rounds/new",
                       data=_form(partnership=north.id)).status_code == 302
    assert _round().partnership_id == north.id


def test_members_cannot_set_up_or_change_rounds(client, council):
    factories.round_(council, slug="spring")
    db.session.commit()
    login(client, "member@north.example")
    assert client.get("/organise/rounds/new").status_code == 403
    assert client.post("/organise/rounds/new", data=_form()).status_code == 403
    assert client.get("/organise/spring/settings").status_code == 403
    assert client.post("/organise/spring/settings", data=_form()).status_code == 403


@pytest.fixture
def voting_round(client, council):
    login(client, "organiser@council.example")
    client.post("/organise/rounds/new", data=_form(ballot_type="approval", rule="greedy"))
    round_ = _round()
    north = council.partnerships[0]
    factories.proposal(round_, north, "Bench", 200_00)
    round_.status = "proposals"
    rounds.open_voting(None, round_)
    db.session.commit()
    return round_


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"rule": "equal-shares"}, "rule"), ({"pot": "6000"}, "pot"),
     ({"ballot_type": "knapsack"}, "ballot_type"), ({"tie_break": "refuse"}, "tie_break"),
     ({"max_choices": "2"}, "ballot_settings"), ({"allow_vote_change": "y"}, "allow_vote_change"),
     ({"min_points": "1", "max_points": "9"}, "ballot_settings"),
     ({"max_total_points": "20"}, "ballot_settings"), ({"rank_places": "3"}, "ballot_settings"),
     ({"voting_methods": ["codes", "email"]}, "voting_methods"),
     ({"eligible_districts": "SK10"}, "eligible_districts"), ({"min_age": "16"}, "min_age")],
    ids=["rule", "pot", "ballot-type", "tie-break", "ballot-limits", "vote-change",
         "score-range", "points-allowance", "rank-places", "voting-methods", "districts",
         "min-age"],
)
def test_frozen_settings_stay_frozen_and_the_attempt_is_audited(client, voting_round, overrides,
                                                               field):
    before = (voting_round.pot, voting_round.rule, voting_round.ballot_type,
              voting_round.ballot_settings, voting_round.tie_break,
              voting_round.allow_vote_change)
    page = client.get("/organise/small-grants-2027/settings").get_data(as_text=True)
    assert "the pot, the ballot and how the money is shared are fixed" in page
    assert 'name="rule"' not in page and 'name="pot"' not in page
    assert 'name="voting_methods"' not in page and 'name="min_age"' not in page
    assert 'name="equality_questions"' in page  # asking the questions may still change
    response = client.post("/organise/small-grants-2027/settings",
                           data={"title": "Renamed", **overrides})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved" in html and 'value="Renamed"' in html
    round_ = _round()
    assert round_.title == "Small Grants 2027"  # nothing at all was saved
    assert (round_.pot, round_.rule, round_.ballot_type, round_.ballot_settings,
            round_.tie_break, round_.allow_vote_change) == before
    refused = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.change_refused")).one()
    assert field in refused.details["fields"]
    assert refused.actor == "organiser@council.example"


def test_frozen_round_can_still_change_its_words_and_dates(client, voting_round):
    form = {"title": "Small Grants 2027 (extended)", "description": "Now until Sunday.",
            "voting_opens_at": "2027-03-14 10:00", "voting_closes_at": "2027-03-21 16:00",
            "award_max": "250"}
    response = client.post("/organise/small-grants-2027/settings", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    round_ = _round()
    assert round_.title == "Small Grants 2027 (extended)"
    assert round_.voting_closes_at == datetime(2027, 3, 21, 16, 0, tzinfo=timezone.utc)
    assert round_.rule == "greedy" and round_.pot == 5_000_00
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.change_refused")).first() is None


def test_service_refuses_frozen_changes_directly(app, council):
    organiser = db.session.scalars(select(User).where(
        User.email == "organiser@council.example")).one()
    round_ = factories.round_(council, slug="x", status="voting")
    db.session.commit()
    data = rounds.RoundInput(title=round_.title, pot=round_.pot, rule="phragmen")
    from pb.errors import Refused

    with pytest.raises(Refused) as caught:
        rounds.update_round(organiser, round_, data)
    assert caught.value.field == "rule"
    assert caught.value.audit[1] == "round.change_refused"


def test_round_moves_through_proposals_and_review_with_confirmation(client, council):
    login(client, "organiser@council.example")
    client.post("/organise/rounds/new", data=_form())
    assert "Start taking proposals?" in client.get(
        "/organise/small-grants-2027/open-proposals").get_data(as_text=True)
    assert _round().status == "draft"  # asking changed nothing
    client.post("/organise/small-grants-2027/open-proposals")
    assert _round().status == "proposals"
    client.post("/organise/small-grants-2027/close-proposals")
    assert _round().status == "review"
    public = client.get("/rounds/small-grants-2027").get_data(as_text=True)
    assert "The proposals are being checked." in public
    client.post("/organise/small-grants-2027/open-proposals")  # taken again, e.g. a late idea
    assert _round().status == "proposals"
    client.post("/organise/small-grants-2027/close-proposals")
    actions = [a for a in db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
               if a.startswith("round.proposals")]
    assert actions == ["round.proposals_opened", "round.proposals_closed",
                       "round.proposals_opened", "round.proposals_closed"]
    # Closing twice is refused with a message, not an error page.
    client.post("/organise/small-grants-2027/close-proposals")
    page = client.get("/organise/small-grants-2027").get_data(as_text=True)
    assert "The round is not taking proposals." in page
