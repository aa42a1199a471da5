"""`pb serve` starts gunicorn only on a database that answers and is fully migrated, warns of
settings that break behind a load balancer, and `/healthz` tells a balancer when an instance
has lost its database. (The servers the live tests start are `pb serve`: tests/live.py.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from flask_migrate import downgrade, upgrade

from pb import create_app
from pb.extensions import db
from pb.services import deployment
from tests.live import ROOT, SECRET_KEY, free_port
from tests.test_cli import _run

NOWHERE = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"  # nothing listens


def _app(url: str, tmp_path, **extra):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path),
                       "SECRET_KEY": SECRET_KEY, "PB_RATE_LIMITS": False, **extra})


def test_a_migrated_database_is_ready(app):
    report = deployment.check(app, environ={"PB_SECRET_KEY": "k"})
    assert report.errors == []
    applied, heads = deployment.migration_state(app)
    assert applied == heads and len(heads) == 1


def test_an_empty_database_is_refused_and_the_server_is_not_started(tmp_path):
    app = _app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    with app.app_context():
        result = _run(app, "serve", "--bind", f"127.0.0.1:{free_port()}")
    assert result.exit_code == 1
    assert "has no tables yet. Run `pb db upgrade` first." in result.output
    assert "The server was not started." in result.output


def test_a_database_behind_the_code_is_refused(tmp_path):
    app = _app(f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path)
    with app.app_context():
        upgrade()
        _applied, heads = deployment.migration_state(app)
        downgrade(revision="-1")
        report = deployment.check(app, environ={})
        result = _run(app, "serve")
        db.engine.dispose()
    assert len(report.errors) == 1
    assert f"this code needs {next(iter(heads))}. Run `pb db upgrade` first." in report.errors[0]
    assert result.exit_code == 1 and "The server was not started." in result.output


def test_a_database_that_cannot_be_reached_is_refused(tmp_path):
    app = _app(NOWHERE, tmp_path)
    with app.app_context():
        result = _run(app, "serve")
    assert result.exit_code == 1
    assert "cannot be reached" in result.output
    assert "postgresql+psycopg://postgres@127.0.0.1" in result.output


def test_settings_that_break_several_instances_are_warned_of(app):
    bare = deployment.check(app, environ={})
    if db.engine.dialect.name == "postgresql":
        assert any("PB_SECRET_KEY is not set" in w for w in bare.warnings)
    else:  # one machine, one file: the key made up in the instance folder is shared
        assert not any("PB_SECRET_KEY" in w for w in bare.warnings)
    assert not deployment.check(app, environ={"PB_SECRET_KEY": "k"}).errors
    app.config.update(PB_RATE_LIMITS=True, PB_REDIS_URL=None)
    assert any("PB_REDIS_URL is not set" in w for w in deployment.check(app, environ={}).warnings)
    app.config.update(PB_REDIS_URL="redis://127.0.0.1:6379/13")
    assert not any("PB_REDIS_URL" in w for w in deployment.check(app, environ={}).warnings)


def test_health_check_answers_503_when_the_database_is_gone(tmp_path):
    app = _app(NOWHERE, tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_health_check_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_serve_refuses_from_the_command_line_too(tmp_path):
    """The real console entry point, as an operator types it, on an unmigrated database."""
    env = {**os.environ, "PB_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
           "PB_INSTANCE_PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pb", "serve"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "Run `pb db upgrade` first." in done.stderr


@pytest.mark.parametrize("args", [["--workers", "0"], ["--threads", "0"]])
def test_nonsense_sizes_are_refused(app, args):
    result = _run(app, "serve", *args)
    assert result.exit_code == 2
