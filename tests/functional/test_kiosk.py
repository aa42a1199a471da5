"""Voting at an event: a volunteer sets up a device; each resident gets a fresh ballot; after a
vote, or 90 seconds idle, nothing of the previous resident is left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import AuditEntry, Ballot, EqualityResponse, VoterCredential
from pb.models.types import utcnow
from pb.models.user import MEMBER, ORGANISER, VOLUNTEER
from pb.services import rounds
from tests import factories
from tests.functional.helpers import login, receipt_on_page


@pytest.fixture
def event(app):
    council, (north, south) = factories.council_with_partnerships()
    organiser = factories.user(council, "organiser@council.example", ORGANISER)
    factories.user(council, "val@north.example", VOLUNTEER, north)
    factories.user(council, "vic@south.example", VOLUNTEER, south)
    factories.user(council, "member@north.example", MEMBER, north)
    round_ = factories.round_(council, slug="pb-day", pot=10_000_00, partnership=north,
                              ballot_type="knapsack", voting_methods=["codes", "kiosk"])
    swings = factories.proposal(round_, north, "Swings", 4_000_00)
    benches = factories.proposal(round_, north, "Benches", 2_000_00)
    rounds.open_voting(organiser, round_)
    db.session.commit()
    return dict(round=round_, swings=swings, benches=benches, organiser=organiser)


def _kiosk(client, email="val@north.example"):
    login(client, email)
    assert client.get("/vote/kiosk/setup/pb-day").status_code == 200
    response = client.post("/vote/kiosk/setup/pb-day")
    assert response.status_code == 302 and response.location.endswith("/vote/kiosk")
    return client


def _vote(client, project_ids, assisted=False):
    begin = client.post("/vote/kiosk/begin")
    assert begin.status_code == 302 and begin.location.endswith("/vote/ballot")
    chosen = client.post("/vote/ballot", data={"projects": [str(p) for p in project_ids]})
    assert chosen.status_code == 302, chosen.get_data(as_text=True)
    review = client.get("/vote/review").get_data(as_text=True)
    assert "A volunteer helped fill in this ballot" in review
    return client.post("/vote/submit", data={"assisted": "yes"} if assisted else {})


def test_a_volunteer_sets_up_a_kiosk_and_is_signed_out_there(client, event):
    _kiosk(client)
    home = client.get("/vote/kiosk")
    html = home.get_data(as_text=True)
    assert home.status_code == 200 and "Start voting" in html and "Round pb-day" in html
    assert "Sign out" not in html and "Your work" not in html  # no way into the account
    assert client.get("/dashboard").status_code == 302  # signed out on this device
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "kiosk.started")).one()
    assert entry.details["device"]


def test_each_resident_gets_a_fresh_ballot_and_nothing_is_left_after_a_vote(client, event):
    _kiosk(client)
    done = _vote(client, [event["swings"].id], assisted=True)
    assert done.status_code == 302 and done.location.endswith("/vote/kiosk/thanks")
    thanks = client.get("/vote/kiosk/thanks")
    receipt = receipt_on_page(thanks.get_data(as_text=True))
    assert 'http-equiv="refresh"' in thanks.get_data(as_text=True)  # goes back by itself
    # The receipt is shown once; going back or reloading finds the start screen.
    assert client.get("/vote/kiosk/thanks").location.endswith("/vote/kiosk")
    for page in ("/vote/ballot", "/vote/review"):
        assert client.get(page).status_code == 302
    home = client.get("/vote/kiosk").get_data(as_text=True)
    assert receipt not in home and "Swings" not in home
    # The next resident starts with nothing ticked.
    client.post("/vote/kiosk/begin")
    ballot_page = client.get("/vote/ballot").get_data(as_text=True)
    assert "checked" not in ballot_page
    assert _vote(client, [event["benches"].id]).status_code == 302
    ballots = db.session.scalars(select(Ballot).order_by(Ballot.id)).all()
    assert [(b.channel, b.assisted) for b in ballots] == [("kiosk", True), ("kiosk", False)]
    assert [[c.proposal_id for c in b.choices] for b in ballots] == [
        [event["swings"].id], [event["benches"].id]]
    kinds = db.session.scalars(select(VoterCredential.kind)).all()
    assert kinds == ["kiosk", "kiosk", "kiosk"]  # the third was begun and not used


def test_an_idle_kiosk_clears_the_ballot_in_progress(client, event):
    _kiosk(client)
    client.post("/vote/kiosk/begin")
    client.post("/vote/ballot", data={"projects": [str(event["swings"].id)]})
    page = client.get("/vote/review").get_data(as_text=True)
    # Without JavaScript the page itself goes back to the start after 90 seconds.
    assert '<meta http-equiv="refresh" content="90;url=/vote/kiosk/clear">' in page
    assert 'data-idle-seconds="90"' in page
    with client.session_transaction() as session:
        session["kiosk"] = {**session["kiosk"],
                              "seen": (utcnow() - timedelta(seconds=91)).isoformat()}
    response = client.get("/vote/review")
    assert response.status_code == 302 and response.location.endswith("/vote/kiosk")
    assert client.get("/vote/review").status_code == 302  # the ballot is gone
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    # The no-JavaScript refresh lands on the same clean start.
    client.post("/vote/kiosk/begin")
    assert client.get("/vote/kiosk/clear").location.endswith("/vote/kiosk")
    assert client.get("/vote/ballot").status_code == 302


def test_a_ballot_in_use_within_90_seconds_is_kept(client, event):
    _kiosk(client)
    client.post("/vote/kiosk/begin")
    client.post("/vote/ballot", data={"projects": [str(event["swings"].id)]})
    with client.session_transaction() as session:
        session["kiosk"] = {**session["kiosk"],
                              "seen": (utcnow() - timedelta(seconds=80)).isoformat()}
    assert client.get("/vote/review").status_code == 200


def test_leaving_kiosk_mode_needs_a_new_sign_in(client, event):
    _kiosk(client)
    response = client.post("/vote/kiosk/exit")
    assert response.location.endswith("/auth/login")
    assert client.get("/vote/kiosk").status_code == 404
    assert client.post("/vote/kiosk/begin").location.endswith("/vote/kiosk")
    assert db.session.scalar(select(func.count()).select_from(VoterCredential)) == 0


@pytest.mark.parametrize("email,status", [
    ("member@north.example", 403),  # a member is not a volunteer
    ("vic@south.example", 403),  # a volunteer of another partnership
    ("organiser@council.example", 200),  # the council's organisers can
])
def test_who_may_set_up_a_kiosk(client, event, email, status):
    login(client, email)
    assert client.get("/vote/kiosk/setup/pb-day").status_code == status


def test_a_kiosk_needs_a_signed_in_volunteer_and_a_round_that_takes_event_votes(client, event):
    assert client.get("/vote/kiosk/setup/pb-day").status_code == 302  # to sign in
    assert client.get("/vote/kiosk/setup/no-such-round").status_code in (302, 404)
    event["round"].voting_methods = ["codes"]
    db.session.commit()
    login(client, "val@north.example")
    response = client.post("/vote/kiosk/setup/pb-day")
    assert response.status_code == 400
    assert "does not take votes at events" in response.get_data(as_text=True)
    assert client.get("/vote/kiosk").status_code == 404


def test_kiosk_start_after_voting_closes_says_so(client, event):
    _kiosk(client)
    rounds.close_voting(event["organiser"], event["round"])
    db.session.commit()
    response = client.post("/vote/kiosk/begin")
    assert response.status_code == 400
    assert "has closed" in response.get_data(as_text=True)


def test_equality_questions_at_a_kiosk_are_offered_once_and_then_cleared(client, event):
    event["round"].equality_questions = True
    db.session.commit()
    _kiosk(client)
    _vote(client, [event["swings"].id])
    thanks = client.get("/vote/kiosk/thanks").get_data(as_text=True)
    assert "Answer the questions" in thanks and 'content="45;url=/vote/kiosk"' in thanks
    answered = client.post("/vote/equality", data={"age_band": "65-74", "sex": "prefer-not"})
    assert answered.status_code == 200 and "Done: next person" in answered.get_data(as_text=True)
    # The next resident is not offered the last one's questions.
    client.get("/vote/kiosk")
    client.post("/vote/kiosk/begin")
    client.get("/vote/kiosk/clear")
    assert "Answer the questions" not in client.get("/vote/equality").get_data(as_text=True)
    assert db.session.scalars(select(EqualityResponse.age_band)).all() == ["65-74"]
