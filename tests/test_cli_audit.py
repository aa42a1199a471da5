"""`pb audit verify`: one line when the log holds, each problem and exit 1 when it does not."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from pb.extensions import db
from pb.models import AuditEntry
from tests.services.test_audit import _staff_actions
from tests.test_cli import _run


def test_an_intact_log_gives_one_line_and_exit_0(app):
    _staff_actions()
    last = db.session.scalars(select(AuditEntry.hash).order_by(AuditEntry.id.desc())).first()
    result = _run(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.output == f"7 entries, chain intact, last hash {last}.\n"


def test_an_empty_log_is_intact(app):
    result = _run(app, "audit", "verify")
    assert (result.exit_code, result.output) == (0, "0 entries, chain intact.\n")


def test_each_problem_is_named_and_the_exit_code_is_1(app):
    _staff_actions()
    db.session.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="someone@else"))
    db.session.execute(delete(AuditEntry).where(AuditEntry.id == 5))
    db.session.commit()
    result = _run(app, "audit", "verify")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Entry 2 was changed after it was written: what it holds no longer matches its hash.",
        "Entry 5 is missing: it was deleted.",
        "Entry 6 does not follow on from entry 4 before it: an entry between them was deleted, "
        "or entry 4 was changed and given a new hash.",
        "6 entries, 3 problem(s): the audit log was changed after it was written.",
    ]


def test_a_hash_noted_earlier_must_still_be_in_the_log(app):
    _staff_actions()
    noted = _run(app, "audit", "verify").output.split("last hash ")[1].rstrip(".\n")
    assert _run(app, "audit", "verify", "--last-seen", noted).exit_code == 0
    db.session.execute(delete(AuditEntry).where(AuditEntry.id == 7))
    db.session.commit()
    assert _run(app, "audit", "verify").exit_code == 0
    cut = _run(app, "audit", "verify", "--last-seen", noted)
    assert cut.exit_code == 1
    assert f"The hash {noted}, noted from an earlier check, is no longer in the log" in cut.output


def test_the_demo_log_verifies(app):
    assert _run(app, "demo", "--quiet").exit_code == 0
    result = _run(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "entries, chain intact, last hash" in result.output
