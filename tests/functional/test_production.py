"""The README's production set-up, followed step by step: one database (PostgreSQL in CI, and
SQLite too), the same secret key and Redis on every instance, rate limits on, and two app
servers started with `pb serve` (each several gunicorn workers), as behind a load balancer.

What it shows: nothing a resident needs is kept in one server's memory. A resident who starts
on one server and finishes on the other votes once, with their receipt; a wrong-code guesser
who spreads guesses over both servers and all their workers meets one limit, counted in Redis;
every server answers the load balancer's health check.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import select

from pb import limits
from pb.extensions import db
from pb.models import Ballot
from tests import factories
from tests.functional.test_limits import first_window, redis_url  # noqa: F401 (a fixture)
from tests.live import Resident, live_server

README = Path(__file__).resolve().parents[2] / "README.md"


def _production_section() -> str:
    text = README.read_text()
    return text[text.index("## Running in production"):text.index("## Backups")]


def test_the_readme_starts_servers_with_pb_serve_after_pb_db_upgrade():
    """The commands this test runs are the ones the README gives."""
    section = _production_section()
    assert "`pb db upgrade`" in section
    assert re.search(r"`pb serve --bind 0\.0\.0\.0:8000`", section)
    for setting in ("PB_DATABASE_URL", "PB_SECRET_KEY", "PB_REDIS_URL", "GET /healthz"):
        assert setting in section


@pytest.fixture
def world(app):
    return factories.hall_vote(2)


@pytest.fixture
def servers(database_url, tmp_path, redis_url):  # noqa: F811 (the fixture imported above)
    """Two `pb serve` servers as the README sets them up (the database is already migrated:
    `pb db upgrade`, tests/conftest.py), rate limits on and counted in Redis."""
    settings = {"PB_REDIS_URL": redis_url, "PB_RATE_LIMITS": "on",
                "PB_BASE_URL": "http://127.0.0.1", "PB_TRUSTED_PROXIES": "0"}
    with ExitStack() as stack:
        ports = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            ports.append(stack.enter_context(
                live_server(database_url, tmp_path / name, workers=3, threads=2, env=settings)))
        yield ports


def test_every_server_answers_the_health_check(servers):
    for port in servers:
        reply = Resident(port).get("/healthz")
        assert reply.status == 200 and '"status":"ok"' in reply.body.replace(" ", "")


def test_a_resident_can_start_on_one_server_and_finish_on_the_other(world, servers):
    a, b = servers
    code = world["codes"][0]
    resident = Resident(a)
    start = resident.get("/vote/")
    entered = resident.post("/vote/", {"csrf_token": Resident.csrf(start.body), "code": code})
    assert entered.status == 302 and entered.location.endswith("/vote/ballot")
    resident.port = b  # the load balancer sends the next request elsewhere
    page = resident.get("/vote/ballot")
    assert page.status == 200 and "Swings" in page.body
    chosen = resident.post("/vote/ballot", {"csrf_token": Resident.csrf(page.body),
                                            "projects": [str(world["projects"][0])]})
    assert chosen.status == 302
    resident.port = a
    review = resident.get("/vote/review")
    assert review.status == 200 and "Swings" in review.body
    resident.port = b
    sent = resident.post("/vote/submit", {"csrf_token": Resident.csrf(review.body)})
    assert sent.status == 302 and sent.location.endswith("/vote/done")
    resident.port = a
    done = resident.get("/vote/done")
    receipt = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", done.body)
    assert done.status == 200 and receipt
    db.session.expire_all()
    ballots = list(db.session.scalars(select(Ballot).where(Ballot.round_id == world["round"].id)))
    assert [b_.receipt for b_ in ballots] == [receipt.group(0)]
    assert [c.proposal_id for c in ballots[0].choices] == [world["projects"][0]]


def test_wrong_codes_spread_over_both_servers_meet_one_limit(world, servers):
    allowed = first_window(limits.CODE_FAILURES_PER_IP)
    guesser = Resident(servers[0])
    token = Resident.csrf(guesser.get("/vote/").body)
    statuses = []
    for n in range(allowed):
        guesser.port = servers[n % 2]  # and, within a server, whichever worker is free
        statuses.append(guesser.post("/vote/", {"csrf_token": token,
                                                "code": f"AAAAA-{n:05d}"}).status)
    assert statuses == [400] * allowed
    for port in servers:
        guesser.port = port
        refused = guesser.post("/vote/", {"csrf_token": token, "code": world["codes"][1]})
        assert refused.status == 429
        assert "retry-after" in refused.headers
    # Held back, the right code was not used: it still votes once the limit has passed.
    db.session.expire_all()
    assert db.session.scalars(select(Ballot)).first() is None
