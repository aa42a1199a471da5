"""A round that refuses to break ties itself: closing voting stops the count on a deciding
tie, the organiser sees the tied projects and settles it with the published tie-break."""

from __future__ import annotations

from sqlalchemy import select

from pb.extensions import db
from pb.models import AuditEntry, User
from pb.models.user import ORGANISER
from pb.services import rounds, tallying, voting
from tests import factories
from tests.functional.helpers import login


def _tied_round():
    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "org@example.org", ORGANISER)
    round_ = factories.round_(council, pot=500_00, tie_break="refuse")
    a = factories.proposal(round_, north, "Allotment", 400_00)
    b = factories.proposal(round_, north, "Bench", 400_00)
    rounds.open_voting(organiser, round_)
    for code, choice in zip(voting.issue_codes(organiser, round_, 2), (a, b)):
        voting.cast_ballot(voting.find_credential(code).id, [choice.id])
    db.session.commit()
    return round_, a, b


def test_the_count_stops_on_a_deciding_tie_and_the_organiser_settles_it(app, client):
    round_, a, b = _tied_round()
    login(client, "org@example.org")
    page = client.post(f"/organise/{round_.slug}/close", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "the count stopped on a tie" in html
    assert round_.status == "closed" and tallying.latest_result(round_) is None
    assert "Allotment" in html and "Bench" in html and "Break the tie and count" in html
    # Nothing to publish, nothing public.
    assert "There is no count to publish yet." in client.post(
        f"/organise/{round_.slug}/publish", follow_redirects=True).get_data(as_text=True)
    assert app.test_client().get(f"/results/{round_.slug}").status_code == 404
    assert client.get(f"/results/{round_.slug}").status_code == 404  # no count yet, even for staff
    confirm = client.get(f"/organise/{round_.slug}/break-tie").get_data(as_text=True)
    assert "lowest cost" in confirm
    client.post(f"/organise/{round_.slug}/break-tie", follow_redirects=True)
    result = tallying.latest_result(round_)
    assert result is not None and len(result.data["selected"]) == 1
    assert result.tie_break["mode"] == "chain" and result.tie_break["seed"] == round_.tie_break_seed
    actions = list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.round_id == round_.id).order_by(AuditEntry.id)))
    assert actions[-2:] == ["round.count_stopped_on_tie", "round.tie_broken_by_lot"]
    # A second attempt is refused: the count exists.
    again = client.post(f"/organise/{round_.slug}/break-tie", follow_redirects=True)
    assert "did not stop on a tie" in again.get_data(as_text=True)


def test_a_round_without_a_deciding_tie_counts_on_close(app):
    round_, a, b = _tied_round()
    round_.pot = 800_00  # both fit: the tie decides nothing
    organiser = db.session.scalars(select(User).where(User.email == "org@example.org")).one()
    assert rounds.close_voting(organiser, round_) is not None
    assert rounds.stopping_tie(round_) is None
