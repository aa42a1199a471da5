"""Exactly once, against a real server: gunicorn (several worker processes, several threads
each) on SQLite and on PostgreSQL, with 50 submissions of one code fired at the same moment.

The guarantee comes from the database (a conditional UPDATE of the credential and a unique
index on the ballot's credential), so it must hold across processes, not just threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import Ballot, VoterCredential
from tests import factories
from tests.live import fire_together, live_server, ready_to_submit

CONCURRENT = 50


@pytest.fixture
def world(app):
    world = factories.hall_vote(1)
    return {**world, "code": world["codes"][0]}


def _counted(round_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == round_id, Ballot.superseded_at.is_(None)))


def _all_ballots(round_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == round_id))


def test_fifty_browsers_submitting_one_code_at_once_make_one_ballot(world, database_url,
                                                                     tmp_path):
    with live_server(database_url, tmp_path) as port:
        with ThreadPoolExecutor(max_workers=10) as pool:
            submitters = list(pool.map(
                lambda _: ready_to_submit(port, world["code"], world["projects"]),
                range(CONCURRENT)))
        replies = fire_together(submitters)
    assert all(r.status < 500 for r in replies), [r.status for r in replies]
    accepted = [r for r in replies if r.location.endswith("/vote/done")]
    assert len(accepted) == 1, [(r.status, r.location) for r in replies]
    refused = [r for r in replies if r.location.endswith("/vote/")]
    assert len(refused) == CONCURRENT - 1
    assert _counted(world["round"].id) == 1
    assert _all_ballots(world["round"].id) == 1
    credential = db.session.scalars(select(VoterCredential)).one()
    assert credential.used_at is not None


def test_one_browser_sending_its_ballot_fifty_times_at_once_makes_one_ballot(world,
                                                                              database_url,
                                                                              tmp_path):
    with live_server(database_url, tmp_path) as port:
        resident, token = ready_to_submit(port, world["code"], world["projects"])
        replies = fire_together([(resident, token)] * CONCURRENT)
    assert all(r.status < 500 for r in replies), [r.status for r in replies]
    assert sum(r.location.endswith("/vote/done") for r in replies) == 1
    assert _all_ballots(world["round"].id) == 1


def test_fifty_changes_of_one_vote_at_once_leave_exactly_one_counted(world, database_url,
                                                                     tmp_path):
    round_ = world["round"]
    round_.allow_vote_change = True
    db.session.commit()
    with live_server(database_url, tmp_path) as port:
        with ThreadPoolExecutor(max_workers=10) as pool:
            submitters = list(pool.map(
                lambda i: ready_to_submit(port, world["code"], world["projects"][i % 2:][:1]),
                range(CONCURRENT)))
        replies = fire_together(submitters)
    assert all(r.status < 500 for r in replies), [r.status for r in replies]
    accepted = sum(r.location.endswith("/vote/done") for r in replies)
    assert accepted >= 1
    # However many changes got in, exactly one ballot counts, and it is the latest one.
    assert _counted(round_.id) == 1
    assert _all_ballots(round_.id) == accepted
    latest = db.session.scalars(
        select(Ballot).where(Ballot.round_id == round_.id).order_by(Ballot.cast_at.desc(),
                                                                     Ballot.id.desc())).first()
    assert latest.superseded_at is None
