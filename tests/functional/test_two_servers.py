"""Exactly once across two app servers sharing one database: two separate gunicorn servers
(each with several worker processes and threads, on different ports) against the same
database, as behind a load balancer. Nothing in one server's memory can protect a ballot sent
to the other: only the database can (the conditional UPDATE of the credential and the unique
index on a counted ballot's credential)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import Ballot, VoterCredential
from pb.services import voting
from tests import factories
from tests.live import fire_together, live_server, ready_to_submit

CLIENTS = 40   # at one code at once, half to each server
STREAM = 30    # distinct codes, each sent to both servers at once


@pytest.fixture
def world(app):
    return factories.hall_vote(STREAM + 1)


@pytest.fixture
def two_servers(database_url, tmp_path):
    """The ports of two servers on one database, each with 3 workers of 4 threads."""
    with ExitStack() as stack:
        ports = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            ports.append(stack.enter_context(
                live_server(database_url, tmp_path / name, workers=3, threads=4)))
        yield ports


def _prepare(jobs: list[tuple[int, str, list[int]]]):
    """Residents ready to submit, each (port, code, projects) of `jobs`, in that order."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda job: ready_to_submit(*job), jobs))


def _ballots(round_id: int) -> list[Ballot]:
    db.session.expire_all()
    return list(db.session.scalars(select(Ballot).where(Ballot.round_id == round_id)))


def _counted_per_credential(round_id: int) -> Counter:
    return Counter(b.credential_id for b in _ballots(round_id) if b.superseded_at is None)


def test_one_code_sent_to_two_servers_at_once_makes_one_ballot(world, two_servers):
    code = world["codes"][0]
    submitters = _prepare([(two_servers[i % 2], code, world["projects"]) for i in range(CLIENTS)])
    replies = fire_together(submitters)
    assert all(r.status < 500 for r in replies), [r.status for r in replies]
    accepted = [r for r in replies if r.location.endswith("/vote/done")]
    assert len(accepted) == 1, [(r.status, r.location) for r in replies]
    # Everyone else is sent back to the start, told the code is used.
    refused = [(r, s) for r, (s, _token) in zip(replies, submitters)
               if r.location.endswith("/vote/")]
    assert len(refused) == CLIENTS - 1
    for _reply, resident in refused[:3]:
        assert "already been used" in resident.get("/vote/").body
    ballots = _ballots(world["round"].id)
    assert len(ballots) == 1 and ballots[0].superseded_at is None
    assert sorted(c.proposal_id for c in ballots[0].choices) == sorted(world["projects"])
    used = db.session.scalars(select(VoterCredential).where(VoterCredential.used_at.is_not(None)))
    assert len(list(used)) == 1


def test_a_stream_of_codes_each_sent_to_both_servers_gives_one_ballot_each(world, two_servers):
    codes = world["codes"][1:]
    # Each code's two residents choose differently, so the ballot shows whose got in.
    jobs = [(two_servers[side], code, world["projects"][side:side + 1])
            for code in codes for side in (0, 1)]
    prepared = _prepare(jobs)
    pairs = [prepared[i:i + 2] for i in range(0, len(prepared), 2)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(fire_together, pairs))
    flat = [r for pair in replies for r in pair]
    assert all(r.status < 500 for r in flat), [r.status for r in flat]
    for pair in replies:
        assert sorted(r.location.rsplit("/", 1)[-1] for r in pair) == ["", "done"], \
            [(r.status, r.location) for r in pair]
    counted = _counted_per_credential(world["round"].id)
    assert len(counted) == len(codes) and set(counted.values()) == {1}
    assert len(_ballots(world["round"].id)) == len(codes)
    # The ballot kept for each code is the one its accepted resident sent.
    by_credential = {b.credential_id: b for b in _ballots(world["round"].id)}
    for code, pair in zip(codes, replies):
        credential = db.session.scalars(select(VoterCredential).where(
            VoterCredential.code_hash == voting.code_hash(code))).one()
        side = [r.location.endswith("/vote/done") for r in pair].index(True)
        assert [c.proposal_id for c in by_credential[credential.id].choices] == \
            world["projects"][side:side + 1]


def test_changes_of_one_vote_sent_to_two_servers_at_once_leave_one_counted(world,
                                                                            two_servers):
    round_ = world["round"]
    round_.allow_vote_change = True
    db.session.commit()
    code = world["codes"][0]
    first = fire_together(_prepare([(two_servers[0], code, world["projects"][:1])]))
    assert first[0].location.endswith("/vote/done")
    credential = db.session.scalars(select(VoterCredential).where(
        VoterCredential.code_hash == voting.code_hash(code))).one()
    assert voting.may_change_vote(credential)
    submitters = _prepare([(two_servers[i % 2], code, world["projects"][i % 2:][:1])
                           for i in range(CLIENTS)])
    replies = fire_together(submitters)
    assert all(r.status < 500 for r in replies), [r.status for r in replies]
    accepted = sum(r.location.endswith("/vote/done") for r in replies)
    assert accepted >= 1
    ballots = _ballots(round_.id)
    assert len(ballots) == 1 + accepted
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == round_.id, Ballot.superseded_at.is_(None))) == 1
    # The one that counts is the latest.
    latest = max(ballots, key=lambda b: (b.cast_at, b.id))
    assert latest.superseded_at is None
