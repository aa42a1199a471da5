"""`pb import FILE.pb --round SLUG`, as an operator uses it."""

from __future__ import annotations

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from pb.cli import cli as main
from pb.extensions import db
from pb.models import AuditEntry, Ballot, Council, Proposal, Round
from pb.money import format_money
from tests import factories
from tests.services.test_imports import APPROVAL, RANKING


def _run(app, *args):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_stores_a_counted_round_and_says_what_it_did(app, tmp_path):
    path = tmp_path / "gdansk.pb"
    path.write_text(APPROVAL, encoding="utf-8")
    result = _run(app, "import", str(path), "--round", "gdansk-2024")
    assert result.exit_code == 0, result.output
    assert "Imported 'Small grants 2024' as round gdansk-2024 of Gdańsk: 3 projects, 4 ballots." \
        in result.stdout
    assert (f"Counted with greedy: 2 funded, {format_money(90_00, 'PLN')} spent of "
            f"{format_money(100_00, 'PLN')}.") in result.stdout
    db.session.remove()  # what the command committed, read afresh
    round_ = db.session.scalars(select(Round)).one()
    assert (round_.status, round_.council.name) == ("closed", "Gdańsk")
    assert _count(Ballot) == 4 and _count(Proposal) == 3


def test_import_into_a_named_council_with_a_title(app, tmp_path):
    factories.council_with_partnerships(["North"])
    db.session.add(Council(name="Other Council", slug="other"))
    db.session.commit()
    path = tmp_path / "ranked.pb"
    path.write_text(RANKING, encoding="utf-8")
    result = _run(app, "import", str(path), "--round", "ranked", "--council", "other",
                  "--title", "Ranked choices")
    assert result.exit_code == 0, result.output
    db.session.remove()
    round_ = db.session.scalars(select(Round)).one()
    assert (round_.title, round_.council.slug) == ("Ranked choices", "other")


def test_a_bad_file_exits_1_naming_the_line_and_stores_nothing(app, tmp_path):
    path = tmp_path / "bad.pb"
    path.write_text(APPROVAL.replace("2;A,C", "2;A,Z"), encoding="utf-8")
    result = _run(app, "import", str(path), "--round", "bad")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: bad.pb: line 21: ")
    assert "unknown project 'Z'" in result.stderr and "Nothing was imported." in result.stderr
    assert result.stdout == ""
    db.session.remove()
    assert (_count(Round), _count(Council), _count(Ballot), _count(AuditEntry)) == (0, 0, 0, 0)


def test_a_missing_file_an_unknown_council_and_a_taken_slug_exit_1(app, tmp_path):
    path = tmp_path / "gdansk.pb"
    path.write_text(APPROVAL, encoding="utf-8")
    missing = _run(app, "import", str(tmp_path / "nope.pb"), "--round", "x")
    assert missing.exit_code == 1 and "Cannot read" in missing.stderr
    unknown = _run(app, "import", str(path), "--round", "x", "--council", "nowhere")
    assert unknown.exit_code == 1 and "there is no council 'nowhere'" in unknown.stderr
    assert _run(app, "import", str(path), "--round", "taken").exit_code == 0
    taken = _run(app, "import", str(path), "--round", "taken")
    assert taken.exit_code == 1 and "There is already a round “taken”" in taken.stderr
    db.session.remove()
    assert (_count(Round), _count(Ballot)) == (1, 4)
