"""Every staff state change is written to the audit log, in a chain that shows tampering."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert, select, update

from pb.extensions import db
from pb.models import AuditEntry
from pb.models.audit import chain_hash
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


def _entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _tamper(statement) -> None:
    """Change the log behind the app's back, as someone with access to the database could."""
    db.session.execute(statement)
    db.session.commit()
    db.session.expire_all()


def _kinds(report) -> list[tuple[str, int | None]]:
    return [(p.kind, p.entry_id) for p in report.problems]


def test_each_state_change_is_logged_with_its_actor(app):
    organiser, round_ = _staff_actions()
    entries = _entries()
    actions = [e.action for e in entries if e.actor_id == organiser.id]
    assert actions == ["proposal.approved", "proposal.shortlisted", "round.voting_opened", "codes.issued",
                       "round.voting_closed", "round.results_published"]
    opened = next(e for e in entries if e.action == "round.voting_opened")
    assert opened.details["seed"] == round_.tie_break_seed
    assert audit.verify_chain() == []


def test_an_intact_chain_reports_its_size_and_last_hash(app):
    _staff_actions()
    entries = _entries()
    report = audit.verify()
    assert report.intact and report.problems == []
    assert report.count == len(entries) == 7
    assert report.last_hash == entries[-1].hash
    assert [e.id for e in entries] == list(range(1, 8))


def test_the_hash_format_is_the_one_existing_logs_were_written_with():
    """Changing what is hashed, or how, would make every log written so far fail to verify."""
    fields = dict(
        at=datetime(2026, 11, 23, 7, 35, 39, 180555, tzinfo=timezone.utc),
        actor_id=2, actor="organiser@cheshireeast.example", action="round.voting_opened",
        target_type="round", target_id="1", round_id=1,
        details={"projects": 24, "ballot_type": "knapsack", "rule": "greedy", "rule_settings": {},
                 "tie_break": "chain", "seed": "2e530e02988f4894", "note": "Llanfair – café"},
        prev_hash="a" * 64)
    expected = "d2352fb702175883a5919b8ca337ad1b8c24cfaeb70f6ffec288964b49bc78e9"
    assert chain_hash(**fields) == expected
    # The same moment written in another time zone is the same entry.
    bst = fields["at"].astimezone(timezone(timedelta(hours=1)))
    assert chain_hash(**{**fields, "at": bst}) == expected


TRICKY_DETAILS = {
    "unicode": "Llanfair – café ☕ 𝄞 ŵ ŷ",
    "nested": {"zeta": 1, "alpha": {"b": [1, 2], "a": None}},
    "as_tuple": (1, "two", 3.5),
    "number_keys": {2: "two", 10: "ten"},
    "floats": [0.1, 1e16, -0.0, 123456789.123456],
    "big": 2 ** 62,
    "flags": [True, False, None],
    "empty": ["", [], {}],
    "quotes": "\"quoted\" \\ back\nnew line\ttab",
}


@pytest.mark.parametrize("when", [
    datetime(2027, 3, 14, 10, 0, 0, 0, tzinfo=timezone.utc),
    datetime(2027, 3, 14, 10, 0, 0, 1, tzinfo=timezone.utc),
    datetime(2027, 6, 14, 23, 30, 5, 999999, tzinfo=timezone(timedelta(hours=1))),
], ids=["whole-second", "one-microsecond", "british-summer-time"])
def test_a_chain_verifies_after_a_round_trip_through_the_database(app, monkeypatch, when):
    """JSON, time zones and microseconds come back from SQLite and PostgreSQL as hashed."""
    council, _ = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "org@example.org", ORGANISER)
    monkeypatch.setattr(audit, "utcnow", lambda: when)
    written = [audit.record(organiser, "round.updated", None, **TRICKY_DETAILS),
               audit.record(None, "kiosk.started", None, device="ünïcode")]
    hashes = [e.hash for e in written]
    db.session.commit()
    db.session.remove()

    entries = _entries()
    assert [e.hash for e in entries[-2:]] == hashes
    assert all(e.compute_hash() == e.hash for e in entries)
    assert entries[-1].at == when
    assert entries[-2].details["number_keys"] == {"2": "two", "10": "ten"}
    assert audit.verify().intact


def test_details_json_cannot_keep_faithfully_are_refused(app):
    with pytest.raises(ValueError):
        audit.record(None, "round.updated", None, ratio=float("nan"))
    with pytest.raises(ValueError):
        audit.record(None, "round.updated", None, when=datetime.now(timezone.utc))


def test_ids_run_without_gaps_when_a_transaction_rolls_back(app):
    """PostgreSQL sequences skip the ids of rolled-back inserts; the log gives its own."""
    audit.record(None, "kiosk.started", None, device="one")
    db.session.commit()
    audit.record(None, "kiosk.started", None, device="rolled back")
    db.session.rollback()
    audit.record(None, "kiosk.started", None, device="two")
    db.session.commit()
    assert [e.id for e in _entries()] == [1, 2]
    assert audit.verify().intact


def test_an_edited_entry_is_detected(app):
    _staff_actions()
    victim = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "codes.issued")).one()
    _tamper(update(AuditEntry).where(AuditEntry.id == victim.id).values(details={"count": 2000}))
    report = audit.verify()
    assert _kinds(report) == [("edited", victim.id)]
    assert report.problems[0].message == (f"Entry {victim.id} was changed after it was written: "
                                          "what it holds no longer matches its hash.")
    assert audit.verify_chain() == [victim.id]


def test_a_deleted_entry_is_detected(app):
    _staff_actions()
    entries = _entries()
    _tamper(delete(AuditEntry).where(AuditEntry.id == entries[2].id))
    report = audit.verify()
    assert _kinds(report) == [("missing", entries[3].id), ("unlinked", entries[3].id)]
    missing, unlinked = (p.message for p in report.problems)
    assert missing == f"Entry {entries[2].id} is missing: it was deleted."
    assert unlinked.startswith(f"Entry {entries[3].id} does not follow on from entry "
                               f"{entries[1].id} before it")
    assert audit.verify_chain() == [entries[3].id]


def test_deleting_several_entries_names_the_whole_gap(app):
    _staff_actions()
    _tamper(delete(AuditEntry).where(AuditEntry.id.in_([3, 4, 5])))
    report = audit.verify()
    assert report.problems[0].message == "Entries 3 to 5 are missing: they were deleted."
    assert report.bad_ids == [6]


def test_deleting_the_first_entry_is_detected(app):
    _staff_actions()
    _tamper(delete(AuditEntry).where(AuditEntry.id == 1))
    assert _kinds(audit.verify()) == [("missing", 2), ("unlinked", 2)]


def test_entries_moved_out_of_order_are_detected(app):
    _staff_actions()
    for old, new in ((4, 100), (5, 4), (100, 5)):  # swap entries 4 and 5
        db.session.execute(update(AuditEntry).where(AuditEntry.id == old).values(id=new))
    db.session.commit()
    report = audit.verify()
    assert _kinds(report) == [("misplaced", 4), ("misplaced", 5), ("misplaced", 6)]
    assert report.problems[0].message == ("Entry 4 was written after entry 5, but now comes "
                                          "after entry 3: entries were inserted or moved.")


def test_an_inserted_entry_is_detected(app):
    _staff_actions()
    entries = _entries()
    for entry in reversed(entries[3:]):  # make room after entry 3, one row at a time
        db.session.execute(update(AuditEntry).where(AuditEntry.id == entry.id)
                           .values(id=entry.id + 1))
    forged = dict(at=entries[2].at + timedelta(seconds=1), actor_id=None, actor="system",
                  action="round.results_published", target_type="round",
                  target_id=str(entries[2].round_id), round_id=entries[2].round_id,
                  details={}, prev_hash=secrets.token_hex(32))
    _tamper(insert(AuditEntry).values(id=4, hash=chain_hash(**forged), **forged))
    report = audit.verify()
    assert _kinds(report) == [("unlinked", 4), ("misplaced", 5)]
    assert report.problems[1].message == ("Entry 5 was written after entry 3, but now comes "
                                          "after entry 4: entries were inserted or moved.")


ANOTHER_VALUE = {
    "at": lambda at: at + timedelta(microseconds=1),
    "actor_id": lambda actor_id: None,
    "actor": lambda actor: actor + "x",
    "action": lambda action: "round.results_published",
    "target_type": lambda kind: "partnership",
    "target_id": lambda ident: ident + "0",
    "round_id": lambda round_id: round_id + 1,
    "details": lambda details: {**details, "count": 3},
    "prev_hash": lambda prev_hash: secrets.token_hex(32),
    "hash": lambda hash_: secrets.token_hex(32),
}


@pytest.mark.parametrize("column", list(ANOTHER_VALUE))
def test_changing_any_column_of_an_entry_is_detected(app, column):
    """A hash that skipped a column would let that column change unseen."""
    assert set(ANOTHER_VALUE) == {c.name for c in AuditEntry.__table__.columns} - {"id"}
    _staff_actions()
    victim = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "codes.issued")).one()
    _tamper(update(AuditEntry).where(AuditEntry.id == victim.id)
            .values({column: ANOTHER_VALUE[column](getattr(victim, column))}))
    report = audit.verify()
    assert not report.intact
    assert victim.id in report.bad_ids


def test_changing_an_entrys_id_is_detected(app):
    _staff_actions()
    _tamper(update(AuditEntry).where(AuditEntry.id == 7).values(id=8))
    assert _kinds(audit.verify()) == [("missing", 8)]


def test_an_id_the_log_never_gives_is_detected(app):
    _staff_actions()
    _tamper(update(AuditEntry).where(AuditEntry.id == 1).values(id=0))
    report = audit.verify()
    assert _kinds(report) == [("bad_id", 0), ("missing", 2)]
    assert report.problems[0].message == ("Entry 0 has an id the log never gives out: ids "
                                          "start at 1.")


def test_a_log_cut_short_is_caught_by_the_last_hash_noted(app):
    _staff_actions()
    noted = audit.verify().last_hash
    _tamper(delete(AuditEntry).where(AuditEntry.id == 7))
    assert audit.verify().intact  # the chain alone cannot see it
    report = audit.verify(last_seen=noted)
    assert _kinds(report) == [("last_seen_gone", None)]
    assert noted in report.problems[0].message
    assert audit.verify(last_seen=audit.verify().last_hash.upper()).intact


def test_an_entry_the_database_cannot_read_back_is_reported(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses a timestamp or JSON that is not one")
    _staff_actions()
    from sqlalchemy import text

    _tamper(text("UPDATE audit_log SET at = 'yesterday', details = '{not json' WHERE id = 3"))
    assert _kinds(audit.verify()) == [("unreadable", 3)]


def test_details_are_told_in_plain_words(app):
    council, (north,) = factories.council_with_partnerships(["North"])
    round_ = factories.round_(council)
    entry = audit.record(None, "round.updated", round_, title="Spring",
                         changed={"pot": 1_500_00, "allow_vote_change": True, "rule": "greedy"},
                         rule_settings={}, replaced=[], note=None)
    money = lambda amount, currency: f"{currency} {amount / 100:.2f}"  # noqa: E731
    assert audit.describe(entry, money) == [
        ("Name of the round", "Spring"),
        ("Changed", "Pot: GBP 1500.00; Residents may change their vote until voting closes: "
                    "Yes; How the money is shared: Most votes first: each project is funded in "
                    "turn if it still fits in what is left"),
        ("Note", "—"),
    ]
    roles = audit.record(None, "user.created", None, email="a@b.example",
                         roles=[[council.id, None, "council_admin"], [council.id, north.id, "member"]])
    assert audit.describe(roles, money, {north.id: "North Partnership"}) == [
        ("Email", "a@b.example"),
        ("Roles given", "Council administrator, whole council; Member, North Partnership"),
    ]


def test_no_round_may_take_the_audit_log_address(app):
    from pb.services.rounds import _unique_slug

    assert _unique_slug("Audit") == "audit-round"
