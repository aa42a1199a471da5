"""Casting ballots through the service: the rules of each ballot type, exactly once enforced by
the database itself, and vote changing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pb.errors import DomainError, Problems
from pb.extensions import db
from pb.models import Ballot
from pb.models.user import ORGANISER
from pb.services import ballots, rounds, tallying, voting
from tests import factories


def _round(ballot_type="approval", settings=None, **fields):
    council, (north, _south) = factories.council_with_partnerships()
    organiser = factories.user(council, "organiser@council.example", ORGANISER)
    round_ = factories.round_(council, slug="r", pot=10_000_00, ballot_type=ballot_type,
                              ballot_settings=settings or {}, **fields)
    projects = [factories.proposal(round_, north, title, cost) for title, cost in
                (("Allotments", 3_000_00), ("Benches", 2_000_00), ("Cycle racks", 6_000_00))]
    rounds.open_voting(organiser, round_)
    return round_, projects, organiser


def _form(**fields):
    from werkzeug.datastructures import MultiDict

    return MultiDict([(k, v) for k, values in fields.items()
                      for v in (values if isinstance(values, list) else [values])])


def test_the_database_refuses_a_second_counted_ballot_for_one_credential(app):
    round_, projects, organiser = _round()
    [code] = voting.issue_codes(organiser, round_, 1)
    credential = voting.find_credential(code)
    voting.cast_ballot(credential.id, [(projects[0].id, 1)])
    db.session.commit()
    # Straight past the service's checks: the unique index still says no.
    db.session.add(Ballot(round_id=round_.id, credential_id=credential.id, receipt="XXXX-XXXX-XXXX"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_used_code_cannot_vote_twice_without_vote_changing(app):
    round_, projects, organiser = _round()
    [code] = voting.issue_codes(organiser, round_, 1)
    credential_id = voting.find_credential(code).id
    voting.cast_ballot(credential_id, [projects[0].id])
    db.session.commit()
    with pytest.raises(DomainError, match="already been used"):
        voting.find_credential(code)
    with pytest.raises(DomainError, match="already been used"):
        voting.cast_ballot(credential_id, [projects[1].id])
    assert rounds.ballot_count(round_) == 1


def test_a_changed_vote_replaces_the_first_and_only_the_last_counts(app):
    round_, projects, organiser = _round(allow_vote_change=True)
    [code] = voting.issue_codes(organiser, round_, 1)
    first = voting.cast_ballot(voting.find_credential(code).id, [projects[0].id])
    db.session.commit()
    second = voting.cast_ballot(voting.find_credential(code).id, [projects[1].id])
    db.session.commit()
    db.session.refresh(first)
    assert first.superseded_at is not None and second.superseded_at is None
    assert rounds.ballot_count(round_) == 1
    election = tallying.build_election(round_)
    assert [b.choices for b in election.ballots] == [(str(projects[1].id),)]
    assert voting.find_receipt(first.receipt).counts is False
    assert voting.find_receipt(second.receipt).counts is True


def test_a_ballot_cannot_be_cast_after_the_close(app):
    round_, projects, organiser = _round()
    [code] = voting.issue_codes(organiser, round_, 1)
    credential_id = voting.find_credential(code).id
    rounds.close_voting(organiser, round_)
    with pytest.raises(DomainError, match="has closed"):
        voting.cast_ballot(credential_id, [projects[0].id])
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


CASES = [
    # (ballot type, settings, form fields, expected marks or the start of a problem)
    ("approval", {}, dict(projects=["0", "2"]), [(0, 1), (2, 1)]),
    ("approval", {"max_choices": 1}, dict(projects=["0", "2"]), "Choose no more than 1 project"),
    ("approval", {}, dict(), "Choose at least one project"),
    ("knapsack", {}, dict(projects=["0", "2"]), [(0, 1), (2, 1)]),
    ("knapsack", {"budget_limit": 5_000_00}, dict(projects=["0", "2"]),
     "Your choices add up to £9,000, which is £4,000 more than the £5,000"),
    ("choose-one", {}, dict(project="1"), [(1, 1)]),
    ("choose-one", {}, dict(projects=["0", "1"]), "Choose only one project"),
    ("ranking", {}, {"rank-2": "1", "rank-0": "2"}, [(2, 1), (0, 2)]),
    ("ranking", {}, {"rank-2": "1", "rank-0": "1"}, "You gave “Allotments” and “Cycle racks”"),
    ("ranking", {}, {"rank-2": "1", "rank-0": "3"}, "Your places must run 1, 2, 3 without a gap"),
    ("ranking", {"max_choices": 2}, {"rank-2": "3"}, "“Cycle racks”: choose a place from 1 to 2"),
    ("scoring", {"min_points": 1, "max_points": 5}, {"score-0": "5", "score-1": "1"},
     [(0, 5), (1, 1)]),
    ("scoring", {"max_points": 5}, {"score-0": "6"}, "“Allotments”: give a score from 0 to 5"),
    ("points", {"max_total_points": 10}, {"points-0": "7", "points-1": "3", "points-2": "0"},
     [(0, 7), (1, 3)]),
    ("points", {"max_total_points": 10}, {"points-0": "7", "points-1": "4"},
     "You have given 11 points, but you have only 10"),
    ("points", {}, {"points-0": "-1"}, "“Allotments”: points cannot be less than 0"),
    ("points", {}, {"points-0": "two"}, "“Allotments”: enter a whole number"),
]


@pytest.mark.parametrize("ballot_type,settings,fields,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_ballot_type_is_read_and_checked(app, ballot_type, settings, fields, expected):
    round_, projects, organiser = _round(ballot_type, settings)
    ids = {str(i): str(p.id) for i, p in enumerate(projects)}  # test indexes -> real ids
    form = {}
    for key, value in fields.items():
        stem, _, index = key.partition("-")
        key = f"{stem}-{ids[index]}" if index else key
        form[key] = [ids[v] for v in value] if isinstance(value, list) else \
            (ids[value] if key == "project" else value)
    ordered = voting.ballot_projects(round_)
    filled = ballots.read(voting.rules_for(round_, ordered), ordered, _form(**form))
    if isinstance(expected, str):
        assert filled.problems and filled.problems[0][1].startswith(expected), filled.problems
        return
    assert filled.problems == []
    marks = [(projects[i].id, v) for i, v in expected]
    assert filled.marks == marks
    [code] = voting.issue_codes(organiser, round_, 1)
    voting.cast_ballot(voting.find_credential(code).id, filled.marks)
    db.session.commit()
    result = tallying.tally_round(round_)  # the engine accepts what the page accepted
    assert result.ballot_count == 1


@pytest.mark.parametrize("ballot_type", ["approval", "choose-one", "ranking", "points"])
def test_a_project_not_on_the_ballot_is_refused_for_every_type(app, ballot_type):
    round_, projects, organiser = _round(ballot_type)
    bogus = str(max(p.id for p in projects) + 100)
    form = {"approval": {"projects": [bogus]}, "choose-one": {"project": bogus},
            "ranking": {f"rank-{bogus}": "1"}, "points": {f"points-{bogus}": "1"}}
    filled = ballots.read(voting.rules_for(round_), voting.ballot_projects(round_),
                          _form(**form[ballot_type]))
    assert "not on this ballot" in filled.problems[0][1]
    [code] = voting.issue_codes(organiser, round_, 1)
    with pytest.raises(Problems):
        voting.cast_ballot(voting.find_credential(code).id, [(int(bogus), 1)])
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_no_codes_for_a_round_that_does_not_use_them(app):
    round_, _projects, organiser = _round(voting_methods=["postcode"])
    with pytest.raises(DomainError, match="does not use voting codes"):
        voting.issue_codes(organiser, round_, 5)
