"""Crash safety: the server (master and every worker) is killed with SIGKILL in the middle of a
stream of ballots, then started again on the same database, and residents whose ballot got no
answer send it again. Every ballot a resident was given a receipt for must be in the count,
with exactly the choices they sent; no code may count twice; and the real count must match one
made independently from what the residents sent."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from pb.extensions import db
from pb.models import Ballot, Round, User, VoterCredential
from pb.models.user import ORGANISER
from pb.services import rounds, voting
from tests import factories
from tests.live import LiveServer, Resident, receipt_of

CODES = 120
CLIENTS = 8
KILL_AFTER = 30  # acknowledged ballots before the power goes
COSTS = {"Allotment": 600_00, "Bus shelter": 400_00, "Community fridge": 300_00,
         "Defibrillator": 200_00}
POT = 1_000_00

ACK, USED, LOST = "acknowledged", "already used", "lost"


@pytest.fixture
def world(app):
    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "organiser@council.example", ORGANISER)
    round_ = factories.round_(council, slug="crash", pot=POT, voting_methods=["codes"])
    projects = [factories.proposal(round_, north, title, cost) for title, cost in COSTS.items()]
    rounds.open_voting(organiser, round_)
    codes = voting.issue_codes(organiser, round_, CODES)
    db.session.commit()
    ids = [p.id for p in projects]
    # Code i approves project j unless j + 2 divides i: the projects get different numbers of
    # votes (62, 80, 90, 96), so the count has no tie to break.
    choices = {code: [pid for j, pid in enumerate(ids) if i % (j + 2)] or ids[:1]
               for i, code in enumerate(codes)}
    return dict(round_id=round_.id, organiser_id=organiser.id, codes=codes, choices=choices,
                projects=ids)


def _vote(port: int, code: str, projects: list[int]) -> tuple[str, str | None]:
    """One resident votes with `code`: (ACK, receipt), (USED, None), or (LOST, None) when the
    server did not answer."""
    resident = Resident(port, timeout=20)
    try:
        start = resident.get("/vote/")
        token = Resident.csrf(start.body)
        entered = resident.post("/vote/", {"csrf_token": token, "code": code})
        if entered.status == 400 and "already been used" in entered.body:
            return USED, None
        assert entered.status == 302, (entered.status, entered.body[:300])
        chosen = resident.post("/vote/ballot", {"csrf_token": token,
                                                "projects": [str(p) for p in projects]})
        assert chosen.status == 302 and chosen.location.endswith("/vote/review"), chosen.status
        sent = resident.post("/vote/submit", {"csrf_token": token})
    except (OSError, http.client.HTTPException):
        return LOST, None
    assert sent.status == 302, (sent.status, sent.body[:300])
    if sent.location.endswith("/vote/done"):
        return ACK, receipt_of(resident)
    # Sent back to the start: the code was used in the meantime (by this resident's lost try).
    assert sent.location.endswith("/vote/"), sent.location
    return USED, None


class Stream:
    """Client threads working through a list of codes; they stop taking codes once `stop`
    is set, and put back every code whose vote got no answer."""

    def __init__(self, world, codes: list[str]):
        self.world = world
        self.todo = list(codes)
        self.outcomes: dict[str, tuple[str, str | None]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.acknowledged = 0
        self.enough = threading.Event()

    def run(self, port: int, kill_after: int | None = None) -> list[threading.Thread]:
        def client():
            while not self.stop.is_set():
                with self.lock:
                    if not self.todo:
                        return
                    code = self.todo.pop()
                outcome = _vote(port, code, self.world["choices"][code])
                with self.lock:
                    if outcome[0] == LOST:
                        self.todo.append(code)
                    else:
                        self.outcomes[code] = outcome
                    if outcome[0] == ACK:
                        self.acknowledged += 1
                        if kill_after is not None and self.acknowledged >= kill_after:
                            self.enough.set()

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        return threads


def _independent_count(choices: list[list[int]], costs: dict[int, int]):
    """Votes per project and the greedy selection, worked out here from what was sent."""
    votes = Counter(pid for chosen in choices for pid in chosen)
    assert len(set(votes.values())) == len(votes), "the test's votes must not tie"
    selected, spent = [], 0
    for pid in sorted(votes, key=lambda p: -votes[p]):
        if spent + costs[pid] <= POT:
            selected.append(pid)
            spent += costs[pid]
    return votes, sorted(selected), spent


def test_killing_the_server_mid_stream_loses_no_acknowledged_ballot(world, database_url,
                                                                    tmp_path):
    began = time.monotonic()
    stream = Stream(world, world["codes"])
    server = LiveServer(database_url, tmp_path, workers=3, threads=4)
    server.start()
    try:
        threads = stream.run(server.port, kill_after=KILL_AFTER)
        assert stream.enough.wait(timeout=40), "too few ballots were acknowledged"
        server.kill()  # mid-stream: other residents are part-way through voting
        stream.stop.set()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    before_restart = dict(stream.outcomes)
    assert KILL_AFTER <= len(before_restart) < CODES
    assert stream.todo, "the kill came after the stream had ended"

    server.start()  # the same database, as after a restart
    try:
        stream.stop.clear()
        for thread in stream.run(server.port):
            thread.join()
    finally:
        server.stop()
    assert not stream.todo, "some residents could not vote after the restart"
    print(f"before the kill: {len(before_restart)} answered; after: "
          f"{Counter(o for o, _r in stream.outcomes.values())}")
    assert len(stream.outcomes) == CODES

    db.session.expire_all()
    ballots = list(db.session.scalars(select(Ballot).where(
        Ballot.round_id == world["round_id"])))
    credential_of = dict(db.session.execute(select(VoterCredential.code_hash,
                                                   VoterCredential.id)).all())
    ballot_of = {b.credential_id: b for b in ballots if b.superseded_at is None}
    for code, (outcome, receipt) in stream.outcomes.items():
        ballot = ballot_of.get(credential_of[voting.code_hash(code)])
        # An "already used" answer is fine only because the earlier, unanswered try is in.
        assert ballot is not None, f"the {outcome} ballot of {code} is not in the database"
        assert sorted(c.proposal_id for c in ballot.choices) == sorted(world["choices"][code])
        assert ballot.superseded_at is None
        if outcome == ACK:
            assert ballot.receipt == receipt

    by_credential = Counter(b.credential_id for b in ballots if b.superseded_at is None)
    assert max(by_credential.values()) == 1, "a code counted twice"
    assert len(ballots) == len({b.receipt for b in ballots}), "a receipt given twice"
    assert len(ballots) == CODES  # one each: nothing superseded, nothing lost

    round_ = db.session.get(Round, world["round_id"])
    organiser = db.session.get(User, world["organiser_id"])
    result = rounds.close_voting(organiser, round_)
    db.session.commit()
    costs = dict(zip(world["projects"], COSTS.values()))
    votes, selected, spent = _independent_count(
        [world["choices"][code] for code in stream.outcomes], costs)
    assert result.ballot_count == CODES
    assert {int(p["id"]): p["votes"] for p in result.data["projects"]} == dict(votes)
    assert sorted(int(p) for p in result.data["selected"]) == selected
    assert result.spent == spent
    assert time.monotonic() - began < 90


def test_a_committed_ballot_survives_a_power_cut(app):
    """A receipt is only given after the commit; the commit must reach the disk before that
    (SQLite's WAL with synchronous=NORMAL may lose the last commits in a power cut)."""
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    else:
        assert db.session.execute(text("SHOW synchronous_commit")).scalar() == "on"
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
