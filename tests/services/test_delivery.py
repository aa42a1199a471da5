"""Delivery after the vote: who may report, what is accepted, the state of each project, the
monitoring rows, and the residents who follow a round by email."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from pb.errors import DomainError, NotAllowed
from pb.extensions import db
from pb.models import AuditEntry, DeliveryUpdate, Follower, OutgoingEmail
from pb.services import delivery
from tests.delivery_world import GYM, LUNCH, funded_world, published_round


@pytest.fixture
def world(app):
    built = funded_world()
    with app.test_request_context():
        yield built


def _update(world, who="north", project=None, **fields):
    data = delivery.UpdateInput(**{"status": "in_progress", "spent_to_date": 0, **fields})
    update = delivery.record_update(world.users[who], project or world.lunch, data)
    db.session.commit()
    return update


def test_funded_projects_are_the_selected_ones_with_their_awards(world):
    assert dict((p.title, award) for p, award in delivery.funded_projects(world.round)) == {
        LUNCH: 1_625_00, GYM: 4_000_00}
    assert delivery.award_for(world.cafe) is None
    assert delivery.award_for(world.gym) == 4_000_00


def test_nothing_is_funded_before_the_results_are_published(world):
    closed, projects = published_round(world.users["organiser"], {"Bench": (world.north, 100_00)},
                                       [["Bench"]], pot=500_00, slug="closed", publish=False)
    assert delivery.funded_projects(closed) == []
    assert delivery.award_for(projects["Bench"]) is None
    with pytest.raises(DomainError, match="published"):
        delivery.record_update(world.users["organiser"], projects["Bench"],
                               delivery.UpdateInput(status="funded", spent_to_date=0))


def test_a_project_without_updates_is_funded_with_nothing_spent(world):
    progress = delivery.progress(world.round)
    assert sorted((p.proposal.title, p.status, p.spent, p.latest) for p in progress.projects) == [
        (GYM, "funded", 0, None), (LUNCH, "funded", 0, None)]
    assert (progress.awarded, progress.spent) == (5_625_00, 0)
    assert progress.counts == {"funded": 2, "in_progress": 0, "delivered": 0, "withdrawn": 0}


def test_the_latest_update_is_the_current_state(world):
    _update(world, status="in_progress", spent_to_date=500_00, outputs="First 4 sessions")
    _update(world, status="delivered", spent_to_date=1_600_50,
            outputs="88 residents attended healthy eating classes over 11 sessions",
            savings_per_year=3_000_00, match_funding="£200 from the town council")
    _update(world, who="south", project=world.gym, status="withdrawn", spent_to_date=120_00)
    progress = delivery.progress(world.round)
    lunch = next(p for p in progress.projects if p.proposal.id == world.lunch.id)
    assert (lunch.status, lunch.spent, lunch.savings_per_year, lunch.overspend) == (
        "delivered", 1_600_50, 3_000_00, 0)
    assert lunch.outputs == "88 residents attended healthy eating classes over 11 sessions"
    assert [u.spent_to_date for u in lunch.updates] == [1_600_50, 500_00]
    assert (progress.awarded, progress.spent, progress.savings_per_year) == (
        5_625_00, 1_720_50, 3_000_00)
    assert progress.counts == {"funded": 0, "in_progress": 0, "delivered": 1, "withdrawn": 1}


@pytest.mark.parametrize(
    ("who", "project", "allowed"),
    [("organiser", "lunch", True), ("admin", "gym", True), ("north", "lunch", True),
     ("north-organiser", "lunch", True), ("proposer", "lunch", True),
     ("south", "lunch", False), ("north", "gym", False), ("proposer", "gym", False),
     ("volunteer", "lunch", False), ("scrutineer", "lunch", False)],
)
def test_who_may_report_on_a_project(world, who, project, allowed):
    target = getattr(world, project)
    data = delivery.UpdateInput(status="in_progress", spent_to_date=10_00)
    if allowed:
        delivery.record_update(world.users[who], target, data)
    else:
        with pytest.raises(NotAllowed):
            delivery.record_update(world.users[who], target, data)


def test_spend_up_to_one_and_a_half_times_the_award_is_accepted(world):
    assert delivery.spend_limit(1_625_00) == 2_437_50
    assert delivery.spend_limit(1_000_01) == 1_500_01  # rounded down to the penny
    update = _update(world, spent_to_date=2_437_50)
    assert delivery.project_progress(world.lunch).overspend == 812_50
    assert update.spent_to_date == 2_437_50


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [({"spent_to_date": 2_437_51}, "spent_to_date", "more than one and a half times the £1,625"),
     ({"spent_to_date": -1}, "spent_to_date", "cannot be less than zero"),
     ({"spent_to_date": None}, "spent_to_date", "Enter how much has been spent"),
     ({"status": "finished"}, "status", "Choose how the project is going."),
     ({"savings_per_year": -5}, "savings_per_year", "Savings cannot be less than zero."),
     ({"outputs": "x" * 2001}, "outputs", "2,000 characters"),
     ({"note": "x" * 1001}, "note", "1,000 characters"),
     ({"match_funding": "x" * 301}, "match_funding", "300 characters")],
    ids=["over-150-percent", "negative", "missing", "unknown-status", "negative-savings",
         "long-outputs", "long-note", "long-match-funding"],
)
def test_bad_updates_are_refused_at_their_field(world, fields, field, message):
    data = delivery.UpdateInput(**{"status": "in_progress", "spent_to_date": 0, **fields})
    with pytest.raises(DomainError, match=message) as caught:
        delivery.record_update(world.users["north"], world.lunch, data)
    assert caught.value.field == field


def test_text_is_kept_as_typed_without_control_characters(world):
    update = _update(world, outputs="  <b>12</b> sessions\r\nand\x00 more  ", note="\x07Hi")
    assert (update.outputs, update.note) == ("<b>12</b> sessions\nand more", "Hi")


def test_each_update_is_in_the_audit_log(world):
    update = _update(world, status="delivered", spent_to_date=1_500_00, savings_per_year=10_00)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "delivery.updated")).one()
    assert (entry.actor, entry.target_type, entry.target_id, entry.round_id) == (
        "member@north.example", "proposal", str(world.lunch.id), world.round.id)
    assert entry.details == {"update": update.id, "status": "delivered",
                             "spent_to_date": 1_500_00, "award": 1_625_00,
                             "savings_per_year": 10_00, "photo": None}
    assert entry.label == "Delivery progress reported"


def test_monitoring_rows_use_the_councils_columns(world):
    _update(world, status="delivered", spent_to_date=1_600_50, outputs="88 residents",
            savings_per_year=3_000_00, match_funding="£200 from the town council")
    rows = {r.service: r for r in delivery.monitoring_rows(world.round)}
    assert set(rows) == {LUNCH, GYM}
    lunch, gym = rows[LUNCH], rows[GYM]
    assert (lunch.provider, lunch.area, lunch.category, lunch.outcomes) == (
        "North Partnership", "Weston", "Health and wellbeing", "88 residents")
    assert (lunch.award, lunch.cost_to_deliver, lunch.savings_per_year) == (
        1_625_00, 1_600_50, 3_000_00)
    assert lunch.how_funded == "Participatory budgeting: Round decides; £200 from the town council"
    assert (lunch.status, lunch.last_update is not None) == ("Delivered", True)
    assert (gym.cost_to_deliver, gym.savings_per_year, gym.outcomes, gym.status, gym.last_update) == (
        0, None, "", "Funded, not started yet", None)
    assert gym.how_funded == "Participatory budgeting: Round decides"


# --- Exports ------------------------------------------------------------------------------------

def test_amounts_go_from_pence_to_exact_decimals():
    from pb.delivery.exports import to_decimal

    assert to_decimal(123450) == Decimal("1234.50") and str(to_decimal(123450)) == "1234.50"
    assert str(to_decimal(0)) == "0.00"
    assert str(to_decimal(1)) == "0.01"
    assert str(to_decimal(10**15 - 1)) == "9999999999999.99"  # beyond a float's exact pence
    assert str(to_decimal(1500, "JPY")) == "1500"


@pytest.mark.parametrize(
    ("text", "safe"),
    [("=1+2", "'=1+2"), ("+44 1625", "'+44 1625"), ("-5 people", "'-5 people"),
     ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("88 residents", "88 residents"), ("", "")],
)
def test_text_cannot_start_a_formula(text, safe):
    from pb.delivery.exports import defuse

    assert defuse(text) == safe


# --- Following by email -------------------------------------------------------------------------

def _outbox(to=None, kind=None):
    query = select(OutgoingEmail).order_by(OutgoingEmail.id)
    if to:
        query = query.where(OutgoingEmail.to == to)
    if kind:
        query = query.where(OutgoingEmail.kind == kind)
    return list(db.session.scalars(query))


def _follow(world, email):
    follower = delivery.follow(world.round, email)
    db.session.commit()
    return follower


def test_following_twice_makes_one_follower_and_one_email(world):
    first = _follow(world, " Ann@Example.org ")
    again = _follow(world, "ann@example.org")
    assert first.id == again.id and first.email == "ann@example.org"
    assert db.session.scalar(select(func.count()).select_from(Follower)) == 1
    assert len(_outbox("ann@example.org", "follow.confirm")) == 1  # not sent again at once


def test_a_pending_follower_gets_the_link_again_after_ten_minutes(world):
    follower = _follow(world, "ann@example.org")
    follower.confirmation_sent_at -= timedelta(minutes=11)
    db.session.commit()
    _follow(world, "ann@example.org")
    assert len(_outbox("ann@example.org", "follow.confirm")) == 2


@pytest.mark.parametrize("email", ["", "not an email", "ann@", "a" * 250 + "@x.org"])
def test_a_bad_email_address_is_refused_at_the_field(world, email):
    with pytest.raises(DomainError) as caught:
        delivery.follow(world.round, email)
    assert caught.value.field == "email"


def test_only_confirmed_followers_get_updates(world):
    confirmed = _follow(world, "yes@example.org")
    _follow(world, "pending@example.org")
    stopped = _follow(world, "stopped@example.org")
    for follower in (confirmed, stopped):
        delivery.confirm_follow(delivery.follower_from_token(
            delivery.follow_token(follower, delivery.CONFIRM), delivery.CONFIRM))
    delivery.unfollow(stopped)
    db.session.commit()
    _update(world, status="in_progress", spent_to_date=100_00, note="Week one went well")
    updates = _outbox(kind="delivery.updated")
    assert [e.to for e in updates] == ["yes@example.org"]
    assert updates[0].subject == f"Update on {LUNCH}"
    assert "Week one went well" in updates[0].body and "/delivery/stop/" in updates[0].body


def test_following_again_after_stopping_needs_a_new_confirmation(world):
    follower = _follow(world, "ann@example.org")
    delivery.confirm_follow(follower)
    delivery.unfollow(follower)
    db.session.commit()
    again = _follow(world, "ann@example.org")
    assert again.id == follower.id
    assert (again.confirmed_at, again.unsubscribed_at, again.receives_updates) == (None, None, False)


def test_links_are_refused_when_forged_or_for_another_purpose(world):
    follower = _follow(world, "ann@example.org")
    confirm = delivery.follow_token(follower, delivery.CONFIRM)
    assert delivery.follower_from_token(confirm, delivery.CONFIRM).id == follower.id
    for token, action in [(confirm, delivery.STOP), (confirm[:-2] + "xx", delivery.CONFIRM),
                          ("nonsense", delivery.CONFIRM), ("", delivery.STOP)]:
        with pytest.raises(DomainError, match="not right or has run out"):
            delivery.follower_from_token(token, action)


def test_links_do_not_carry_the_email_address(world):
    import base64

    follower = _follow(world, "ann@example.org")
    payload = delivery.follow_token(follower, delivery.STOP).split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"ann" not in decoded and b"example" not in decoded


def test_a_link_stops_working_if_the_follower_is_not_the_one_it_was_made_for(world):
    follower = _follow(world, "ann@example.org")
    token = delivery.follow_token(follower, delivery.STOP)
    follower.email = "someone.else@example.org"
    db.session.commit()
    with pytest.raises(DomainError):
        delivery.follower_from_token(token, delivery.STOP)


def test_confirmation_links_run_out_but_stop_links_do_not(world, monkeypatch):
    follower = _follow(world, "ann@example.org")
    long_ago = time.time() - 8 * 24 * 3600
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: long_ago)
    old_confirm = delivery.follow_token(follower, delivery.CONFIRM)
    old_stop = delivery.follow_token(follower, delivery.STOP)
    monkeypatch.undo()
    with pytest.raises(DomainError):
        delivery.follower_from_token(old_confirm, delivery.CONFIRM)
    assert delivery.follower_from_token(old_stop, delivery.STOP).id == follower.id


def test_an_update_with_no_followers_sends_nothing(world):
    _update(world)
    assert _outbox() == []
    assert db.session.scalar(select(func.count()).select_from(DeliveryUpdate)) == 1
