"""The `pb` command, as an operator uses it."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from pb.cli import cli as main
from pb.extensions import db
from pb.models import Ballot, Round, User


def _run(app, *args, input=None):
    runner = CliRunner()
    return runner.invoke(main, list(args), obj=_script_info(app), input=input)


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_demo_loads_once_and_prints_logins_and_codes(app):
    result = _run(app, "demo")
    assert result.exit_code == 0, result.output
    assert "Loaded the Macclesfield demo." in result.output
    assert "organiser@cheshireeast.example" in result.output
    assert "Unused voting codes" in result.output
    assert db.session.scalar(select(func.count()).select_from(Round)) == 3
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 200
    statuses = set(db.session.scalars(select(Round.status)))
    assert statuses == {"published", "voting", "proposals"}

    again = _run(app, "demo", "--quiet")
    assert "already has data" in again.output
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 200


def test_printed_demo_logins_and_codes_work(app):
    output = _run(app, "demo").output
    client = app.test_client()
    line = next(l for l in output.splitlines() if "organiser@cheshireeast.example" in l)
    password = line.split()[-1]
    response = client.post("/auth/login", data={"email": "organiser@cheshireeast.example",
                                                "password": password})
    assert response.status_code == 302
    code = output.split("enter one at /vote):")[1].split()[0]
    assert app.test_client().post("/vote/", data={"code": code}).headers["Location"] == "/vote/ballot"


def test_create_admin(app):
    result = _run(app, "create-admin", "--email", "boss@council.example", "--council",
                  "Cheshire East Council", input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.email == "boss@council.example"
    assert user.memberships[0].role == "council_admin"
    short = _run(app, "create-admin", "--email", "b@council.example", input="short\nshort\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
