"""Every staff state change is written to the audit log, in a chain that shows tampering."""

from __future__ import annotations

from sqlalchemy import select, update

from pb.extensions import db
from pb.models import AuditEntry
from pb.models.user import ORGANISER
from pb.services import audit, proposals, rounds, voting
from tests import factories


def _staff_actions():
    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "org@example.org", ORGANISER)
    round_ = factories.round_(council)
    p = factories.proposal(round_, north, "A", 100_00, status="submitted")
    proposals.approve_proposal(organiser, p)
    proposals.shortlist(organiser, p)
    rounds.open_voting(organiser, round_)
    voting.issue_codes(organiser, round_, 2)
    rounds.close_voting(organiser, round_)
    rounds.publish_results(organiser, round_)
    db.session.commit()
    return organiser, round_


def test_each_state_change_is_logged_with_its_actor(app):
    organiser, round_ = _staff_actions()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    actions = [e.action for e in entries if e.actor_id == organiser.id]
    assert actions == ["proposal.approved", "proposal.shortlisted", "round.voting_opened", "codes.issued",
                       "round.voting_closed", "round.results_published"]
    opened = next(e for e in entries if e.action == "round.voting_opened")
    assert opened.details["seed"] == round_.tie_break_seed
    assert audit.verify_chain() == []


def test_an_edited_entry_is_detected(app):
    _staff_actions()
    victim = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "codes.issued")).one()
    db.session.execute(update(AuditEntry).where(AuditEntry.id == victim.id)
                       .values(details={"count": 2000}))
    db.session.commit()
    db.session.expire_all()
    assert audit.verify_chain() == [victim.id]


def test_a_deleted_entry_is_detected(app):
    _staff_actions()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    db.session.delete(entries[2])
    db.session.commit()
    assert audit.verify_chain() == [entries[3].id]
