"""Paper ballots: double entry, comparing passes, reconciling counts, accepting all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from pb.errors import DomainError, NotAllowed
from pb.extensions import db
from pb.models import AuditEntry, Ballot, PaperBatch, PaperEntry, VoterCredential
from pb.models.user import MEMBER, ORGANISER
from pb.services import paper, rounds, tallying, voting
from tests import factories


def _world(ballot_type="approval", ballot_settings=None, status="voting"):
    council, (north, south) = factories.council_with_partnerships()
    first = factories.user(council, "first@example.org", ORGANISER, north)
    second = factories.user(council, "second@example.org", ORGANISER, north)
    round_ = factories.round_(council, status=status, partnership=north, pot=1_000_00,
                              ballot_type=ballot_type, ballot_settings=ballot_settings)
    projects = [factories.proposal(round_, north, title, cost)
                for title, cost in (("Allotment", 300_00), ("Bench", 200_00),
                                    ("Cycle rack", 400_00))]
    db.session.commit()
    return round_, projects, first, second


def _ticks(*projects):
    return MultiDict([("projects", str(p.id)) for p in projects])


def _ranks(**ranks):
    return MultiDict([(f"rank-{pid}", str(rank)) for pid, rank in ranks.items()])


def _key(user, batch, pass_number, number, form, spoilt=False, reason=""):
    entry = paper.key_paper(user, batch, pass_number, number, form, spoilt, reason)
    db.session.commit()
    return entry


def _both_passes(batch, first, second, papers):
    for number, form in enumerate(papers, start=1):
        _key(first, batch, 1, number, form)
        _key(second, batch, 2, number, form)


def _ballots(round_):
    return list(db.session.scalars(select(Ballot).where(Ballot.round_id == round_.id)))


def _actions(round_):
    return [e.action for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.round_id == round_.id).order_by(AuditEntry.id))]


def test_agreeing_passes_are_accepted_as_paper_ballots_and_counted(app):
    round_, (a, b, c), first, second = _world()
    batch = paper.create_batch(first, round_, "Library box 1", 3)
    db.session.commit()
    _both_passes(batch, first, second, [_ticks(a, b), _ticks(c), _ticks(a)])
    assert paper.compare(batch) == [] and paper.reconcile(batch) == []

    assert paper.accept(second, batch) == 3
    db.session.commit()

    stored = _ballots(round_)
    assert [b_.channel for b_ in stored] == ["paper"] * 3
    assert sorted(sorted(ch.proposal_id for ch in b_.choices) for b_ in stored) == sorted(
        [sorted([a.id, b.id]), [c.id], [a.id]])
    assert {cred.kind for cred in db.session.scalars(select(VoterCredential))} == {"paper"}
    assert rounds.ballot_count(round_) == 3
    assert (batch.status, batch.accepted_by_id) == ("accepted", second.id)
    result = tallying.tally_round(round_)
    assert result.ballot_count == 3
    assert _actions(round_) == ["paper.batch_created"] + ["paper.keyed"] * 6 + [
        "paper.batch_accepted"]


def test_ranking_papers_keep_their_order(app):
    round_, (a, b, c), first, second = _world("ranking", {"max_choices": 3})
    batch = paper.create_batch(first, round_, "Ranked", 2)
    _both_passes(batch, first, second, [_ranks(**{str(c.id): 1, str(a.id): 2}),
                                        _ranks(**{str(b.id): 1})])
    paper.accept(first, batch)
    db.session.commit()
    ballots = sorted(_ballots(round_), key=lambda b_: len(b_.choices))
    assert [(ch.proposal_id, ch.value) for ch in ballots[0].choices] == [(b.id, 1)]
    assert [(ch.proposal_id, ch.value) for ch in ballots[1].choices] == [(c.id, 1), (a.id, 2)]
    assert tallying.tally_round(round_).ballot_count == 2


def test_the_same_person_cannot_key_both_passes(app):
    round_, (a, _b, _c), first, _second = _world()
    batch = paper.create_batch(first, round_, "Box", 2)
    _key(first, batch, 1, 1, _ticks(a))
    with pytest.raises(DomainError, match="someone else must key pass 2"):
        paper.key_paper(first, batch, 2, 1, _ticks(a))
    db.session.rollback()
    assert db.session.scalar(select(PaperEntry.id).where(PaperEntry.pass_number == 2)) is None


def test_mismatches_are_listed_and_resolved_with_both_versions_audited(app):
    round_, (a, b, c), first, second = _world()
    batch = paper.create_batch(first, round_, "Box", 4)
    for number, (one, two) in enumerate([(_ticks(a), _ticks(a)), (_ticks(a, b), _ticks(a, c)),
                                         (_ticks(c), None)], start=1):
        _key(first, batch, 1, number, one)
        if two is not None:
            _key(second, batch, 2, number, two)
    _key(first, batch, 1, 4, MultiDict(), spoilt=True, reason="Too many ticks")
    _key(second, batch, 2, 4, _ticks(b))

    found = {m.paper_number: m.kind for m in paper.compare(batch)}
    assert found == {2: paper.DIFFERENT, 3: paper.MISSING_SECOND, 4: paper.SPOILT_IN_ONE}
    with pytest.raises(DomainError, match="not keyed in both passes"):
        paper.resolve(first, batch, 3, 1)
    db.session.rollback()

    paper.resolve(first, batch, 2, 2)
    paper.resolve(first, batch, 4, 1)
    db.session.commit()
    assert sorted(map(tuple, batch.entries_of(1)[2].marks)) == sorted([(a.id, 1), (c.id, 1)])
    assert batch.entries_of(2)[4].spoilt and batch.entries_of(2)[4].spoilt_reason == \
        "Too many ticks"
    assert [m.paper_number for m in paper.compare(batch)] == [3]
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "paper.mismatch_resolved").order_by(AuditEntry.id)).first()
    assert entry.details["paper_number"] == 2 and entry.details["chosen_pass"] == 2
    assert entry.details["pass_1"]["marks"] == [[a.id, 1], [b.id, 1]]
    assert entry.details["pass_2"]["marks"] == [[a.id, 1], [c.id, 1]]


def test_a_paper_missing_from_one_pass_stops_acceptance_and_nothing_is_stored(app):
    round_, (a, b, _c), first, second = _world()
    batch = paper.create_batch(first, round_, "Box", 2)
    _key(first, batch, 1, 1, _ticks(a))
    _key(first, batch, 1, 2, _ticks(b))
    _key(second, batch, 2, 1, _ticks(a))
    with pytest.raises(DomainError) as raised:
        paper.accept(first, batch)
    db.session.rollback()
    messages = [p.message for p in raised.value.problems]
    assert "Pass 2 is missing 1 paper: 2." in messages
    assert _ballots(round_) == [] and db.session.get(PaperBatch, batch.id).status == "keying"


def test_more_papers_than_the_envelope_says_stops_acceptance(app):
    round_, (a, _b, _c), first, second = _world()
    batch = paper.create_batch(first, round_, "Box", 3)
    _both_passes(batch, first, second, [_ticks(a)] * 3)
    paper.change_count(first, batch, 2)  # a recount of the envelope finds 2
    db.session.commit()
    with pytest.raises(DomainError) as raised:
        paper.accept(first, batch)
    db.session.rollback()
    assert "Pass 1 has 3 papers but the envelope says 2 papers." in [
        p.message for p in raised.value.problems]
    assert _ballots(round_) == []


def test_spoilt_papers_count_towards_the_envelope_but_are_not_ballots(app):
    round_, (a, b, _c), first, second = _world()
    batch = paper.create_batch(first, round_, "Box", 3)
    for user, pass_number in ((first, 1), (second, 2)):
        _key(user, batch, pass_number, 1, _ticks(a))
        _key(user, batch, pass_number, 2, _ticks(a, b), spoilt=True, reason="Signed by voter")
        _key(user, batch, pass_number, 3, _ticks(b))
    assert paper.accept(first, batch) == 2
    db.session.commit()
    assert len(_ballots(round_)) == 2
    accepted = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "paper.batch_accepted")).one()
    assert (accepted.details["ballots"], accepted.details["spoilt"]) == (2, 1)


def test_an_invalid_paper_is_saved_only_as_spoilt_with_a_reason(app):
    round_, (a, b, _c), first, _second = _world("approval", {"max_choices": 1})
    batch = paper.create_batch(first, round_, "Box", 2)
    with pytest.raises(DomainError) as raised:
        paper.key_paper(first, batch, 1, 1, _ticks(a, b))
    db.session.rollback()
    assert {p.field for p in raised.value.problems} == {"projects-fieldset", "spoilt"}
    with pytest.raises(DomainError) as raised:
        paper.key_paper(first, batch, 1, 1, _ticks(a, b), spoilt=True, reason="  ")
    db.session.rollback()
    assert raised.value.field == "spoilt_reason"
    entry = _key(first, batch, 1, 1, _ticks(a, b), spoilt=True, reason="Two ticks")
    assert (entry.spoilt, entry.marks, entry.spoilt_reason) == (True, [], "Two ticks")


def test_paper_numbers_must_be_in_range_and_keyed_once_per_pass(app):
    round_, (a, _b, _c), first, _second = _world()
    batch = paper.create_batch(first, round_, "Box", 2)
    _key(first, batch, 1, 1, _ticks(a))
    for number, text in ((3, "from 1 to 2"), (0, "from 1 to 2"), (None, "from 1 to 2"),
                         (1, "already keyed in pass 1")):
        with pytest.raises(DomainError, match=text) as raised:
            paper.key_paper(first, batch, 1, number, _ticks(a))
        db.session.rollback()
        assert raised.value.field == "paper_number"
    assert paper.next_paper_number(batch, 1) == 2 and paper.next_paper_number(batch, 2) == 1


def test_acceptance_is_all_or_nothing(app, monkeypatch):
    round_, (a, b, c), first, second = _world()
    batch = paper.create_batch(first, round_, "Box", 3)
    _both_passes(batch, first, second, [_ticks(a), _ticks(b), _ticks(c)])
    real_cast = voting.cast_ballot
    calls = []

    def cast_then_close(*args, **kwargs):
        # Voting closes while the batch is being counted: the second paper is refused.
        calls.append(1)
        if len(calls) == 2:
            round_.status = "closed"
        return real_cast(*args, **kwargs)

    monkeypatch.setattr(voting, "cast_ballot", cast_then_close)
    with pytest.raises(DomainError, match="Paper 2 could not be counted"):
        paper.accept(first, batch)
    db.session.rollback()
    assert len(calls) == 2
    assert _ballots(round_) == []
    assert db.session.scalars(select(VoterCredential)).all() == []
    assert db.session.get(PaperBatch, batch.id).status == "keying"
    assert "paper.batch_accepted" not in _actions(round_)


def test_nothing_can_be_keyed_or_accepted_once_voting_has_closed(app):
    round_, (a, _b, _c), first, second = _world()
    batch = paper.create_batch(first, round_, "Box", 1)
    _both_passes(batch, first, second, [_ticks(a)])
    rounds.close_voting(first, round_)
    db.session.commit()
    with pytest.raises(DomainError, match="only be keyed and accepted while voting is open"):
        paper.accept(first, batch)
    db.session.rollback()
    with pytest.raises(DomainError, match="while voting is open"):
        paper.create_batch(first, round_, "Late box", 1)
    db.session.rollback()
    assert _ballots(round_) == []


def test_only_the_rounds_organisers_key_papers(app):
    round_, (a, _b, _c), first, _second = _world()
    council = round_.council
    south = council.partnerships[1]
    member = factories.user(council, "member@example.org", MEMBER, round_.partnership)
    elsewhere = factories.user(council, "south@example.org", ORGANISER, south)
    batch = paper.create_batch(first, round_, "Box", 1)
    for user in (member, elsewhere):
        with pytest.raises(NotAllowed):
            paper.key_paper(user, batch, 1, 1, _ticks(a))
        with pytest.raises(NotAllowed):
            paper.create_batch(user, round_, "Mine", 1)


def test_new_batches_need_a_label_and_a_count(app):
    round_, _projects, first, _second = _world()
    paper.create_batch(first, round_, "Box", 1)
    with pytest.raises(DomainError) as raised:
        paper.create_batch(first, round_, "Box", 0)
    db.session.rollback()
    assert {p.field for p in raised.value.problems} == {"label", "declared_count"}
