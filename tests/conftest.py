"""Fixtures: every database test runs once on SQLite and once on PostgreSQL (when configured).

PostgreSQL runs when PB_TEST_POSTGRES_URL is set (CI sets it); if it is set and the server
cannot be reached, the tests fail rather than skip.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from pb import create_app
from pb.extensions import db
from tests.live import SECRET_KEY

POSTGRES_URL = os.environ.get("PB_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """Real argon2, with test-sized costs: production keeps the library's defaults."""
    from argon2 import PasswordHasher

    from pb.services import accounts

    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = original


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database for one backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        url = POSTGRES_URL
        _reset_postgres(url)
    app = create_app(_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _config(url: str, instance) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "INSTANCE_PATH": str(instance),
        # Nothing listens here: tests that read email use the `mailbox` fixture.
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 9,
        "MAIL_DEFAULT_SENDER": "pb@council.example",
        # No test is throttled unless it turns the limits on (tests/functional/test_limits.py).
        "PB_RATE_LIMITS": False,
        "PB_REDIS_URL": None,
    }


def _running_app(config: dict):
    """An app bound to its context; on teardown the tables are emptied for the next test."""
    app = create_app(config)

    @app.before_request
    def _fresh_g():
        # The test's app context stays open, so requests would share `g` (the signed-in user
        # and the language cached there). In production each request has a context of its own.
        from flask import g

        for name in list(vars(g)):
            delattr(g, name)

    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    yield from _running_app(_config(database_url, tmp_path))


def _empty_all_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """An app with CSRF protection on, as in production."""
    yield from _running_app({**_config(database_url, tmp_path), "WTF_CSRF_ENABLED": True})


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Mailbox:
    """What a real SMTP server, running in this process, received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message) -> str:
        return message.get_body(("plain",)).get_content()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(app):
    """An aiosmtpd server on loopback that the app sends its email to."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield box
    controller.stop()
