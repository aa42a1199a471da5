"""`pb backup FILE` and `pb restore FILE`: a counted round survives damage, exactly; a file of
the wrong kind, or a restore nobody confirmed, changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import make_url

from pb.extensions import db
from pb.models import (AuditEntry, Ballot, BallotChoice, Proposal, Round, TallyResult,
                       VoterCredential)
from pb.models.user import ORGANISER
from pb.services import rounds, tallying, voting
from pb.services.backup import libpq_url
from tests import factories
from tests.test_cli import _run


@pytest.fixture
def world(app):
    """The counted round of tests/factories.py, and a second round where votes were changed
    (so some ballots are superseded)."""
    counted = factories.counted_round(publish=True)
    changed = factories.round_(counted.council, slug="autumn", pot=500_00,
                               voting_methods=["codes"], allow_vote_change=True)
    swings = factories.proposal(changed, counted.partnership, "Swings", 300_00)
    slide = factories.proposal(changed, counted.partnership, "Slide", 200_00)
    rounds.open_voting(counted.organiser, changed)
    first, second = voting.issue_codes(counted.organiser, changed, 2)
    for code, choice in ((first, swings), (first, slide), (second, swings), (first, swings)):
        voting.cast_ballot(voting.find_credential(code).id, [choice.id])
    rounds.close_voting(counted.organiser, changed)
    db.session.commit()
    return counted


def _snapshot() -> dict:
    """Everything a restore must bring back exactly."""
    db.session.expire_all()
    ballots = [(b.id, b.round_id, b.credential_id, b.receipt, b.channel, b.district, b.cast_at,
                b.superseded_at,
                sorted((c.proposal_id, c.position, c.value) for c in b.choices))
               for b in db.session.scalars(select(Ballot).order_by(Ballot.id))]
    results = [(r.id, r.round_id, r.ballot_count, r.ballots_sha256, r.spent, r.data)
               for r in db.session.scalars(select(TallyResult).order_by(TallyResult.id))]
    credentials = list(db.session.execute(select(
        VoterCredential.id, VoterCredential.code_hash, VoterCredential.used_at)
        .order_by(VoterCredential.id)))
    entries = list(db.session.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.hash)
                                      .order_by(AuditEntry.id)))
    return dict(ballots=ballots, results=results, credentials=credentials, audit=entries)


def _damage() -> None:
    ballot_ids = list(db.session.scalars(select(Ballot.id).order_by(Ballot.id).limit(2)))
    db.session.execute(delete(BallotChoice).where(BallotChoice.ballot_id.in_(ballot_ids)))
    db.session.execute(delete(Ballot).where(Ballot.id.in_(ballot_ids)))
    # A ballot for one project now shows another project of its round.
    single = next(b for b in db.session.scalars(select(Ballot).order_by(Ballot.id))
                  if len(b.choices) == 1)
    other = db.session.scalars(select(Proposal.id).where(
        Proposal.round_id == single.round_id,
        Proposal.id != single.choices[0].proposal_id)).first()
    db.session.execute(update(BallotChoice).where(BallotChoice.ballot_id == single.id)
                       .values(proposal_id=other))
    counted = db.session.scalars(select(Ballot).where(Ballot.superseded_at.is_(None))
                                 .order_by(Ballot.id.desc())).first()
    counted.superseded_at = counted.cast_at
    db.session.commit()


def _ballot_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Ballot))


def test_a_backup_restores_every_ballot_and_the_count_exactly(world, tmp_path, app):
    before = _snapshot()
    assert any(b[7] is not None for b in before["ballots"]), "the world needs superseded ballots"
    file = tmp_path / "pb.backup"

    made = _run(app, "backup", str(file))
    assert made.exit_code == 0, made.output
    assert f"to {file} (" in made.output
    recorded = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert recorded.action == "database.backed_up"
    assert recorded.details["sha256"] in made.output

    _damage()
    assert _snapshot()["ballots"] != before["ballots"]

    restored = _run(app, "restore", "--yes", str(file))
    assert restored.exit_code == 0, restored.output
    assert "chain intact" in restored.output
    after = _snapshot()
    assert after["ballots"] == before["ballots"]
    assert after["results"] == before["results"]
    assert after["credentials"] == before["credentials"]
    # The log is the one backed up, then the restore (the backup's own entry came after the
    # copy was taken, so the copy does not hold it).
    assert after["audit"][:-1] == before["audit"]
    assert after["audit"][-1].action == "database.restored"
    assert _run(app, "audit", "verify").exit_code == 0
    # The stored count is what the restored ballots give when counted again.
    for round_ in db.session.scalars(select(Round)):
        stored = tallying.latest_result(round_)
        again = tallying.tally_round(round_, store=False)
        assert (again.ballots_sha256, again.data) == (stored.ballots_sha256, stored.data)
    # The restored database works: it takes new writes, the ids carrying on after the old ones.
    assert _run(app, "backup", str(tmp_path / "again.backup")).exit_code == 0


def test_restore_asks_first_and_changes_nothing_without_a_yes(world, tmp_path, app):
    file = tmp_path / "pb.backup"
    assert _run(app, "backup", str(file)).exit_code == 0
    _damage()
    damaged = _snapshot()
    for answer in ("n\n", None):
        refused = _run(app, "restore", str(file), input=answer)
        assert refused.exit_code == 1
        assert "This replaces everything in" in refused.output
        assert refused.output.rstrip().endswith("Nothing was restored.")
        assert _snapshot() == damaged
    agreed = _run(app, "restore", str(file), input="y\n")
    assert agreed.exit_code == 0, agreed.output
    assert _snapshot()["ballots"] != damaged["ballots"]


def _other_kind(tmp_path, backend: str):
    """A backup made for the other kind of database (its first bytes are enough to tell)."""
    path = tmp_path / "other.backup"
    if backend == "sqlite":
        path.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(200))
        return path, "is a PostgreSQL (pg_dump) backup, but this database is SQLite"
    connection = sqlite3.connect(path)
    connection.execute("create table ballots (id integer)")
    connection.commit()
    connection.close()
    return path, "is an SQLite backup, but this database is PostgreSQL"


def _not_ours(tmp_path, backend: str):
    path = tmp_path / "notes.db"
    if backend == "sqlite":
        connection = sqlite3.connect(path)
        connection.execute("create table notes (id integer)")
        connection.commit()
        connection.close()
    else:
        # A pg_dump archive of a database with none of the platform's tables.
        url, env = libpq_url(db.engine.url)
        subprocess.run(["pg_dump", "--format=custom", f"--dbname={url}", "--exclude-schema=public",
                        f"--file={path}"], check=True, env={**os.environ, **env})
    return path, "is a database backup, but not of this platform"


@pytest.mark.parametrize("make", [
    lambda tmp, backend: ((tmp / "notes.txt"), "is not a backup made by `pb backup`"),
    _other_kind,
    _not_ours,
], ids=["text-file", "other-database-kind", "not-this-platform"])
def test_a_file_of_the_wrong_kind_is_refused_and_nothing_changes(world, tmp_path, app, make):
    backend = db.engine.dialect.name
    path, message = make(tmp_path, backend)
    if not path.exists():
        path.write_text("ballots,receipts\n1,ABCD\n")
    _damage()
    damaged = _snapshot()
    refused = _run(app, "restore", "--yes", str(path))
    assert refused.exit_code == 1
    assert message in refused.output, refused.output
    assert "Nothing was restored." in refused.output
    assert "Traceback" not in refused.output
    assert _snapshot() == damaged


def test_a_cut_short_backup_changes_nothing(world, tmp_path, app):
    file = tmp_path / "pb.backup"
    assert _run(app, "backup", str(file)).exit_code == 0
    whole = file.read_bytes()
    file.write_bytes(whole[:len(whole) * 2 // 3])
    _damage()
    damaged = _snapshot()
    refused = _run(app, "restore", "--yes", str(file))
    assert refused.exit_code == 1, refused.output
    assert "Error:" in refused.output and "Traceback" not in refused.output
    assert _snapshot() == damaged


def test_a_missing_backup_file_is_named(app, tmp_path):
    result = _run(app, "restore", "--yes", str(tmp_path / "nowhere.backup"))
    assert result.exit_code == 1
    assert "could not read" in result.output and "Nothing was restored." in result.output


def test_a_backup_into_a_missing_folder_says_so(app, tmp_path):
    result = _run(app, "backup", str(tmp_path / "no" / "such" / "pb.backup"))
    assert result.exit_code == 1
    assert "Error: " in result.output and "Traceback" not in result.output
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("url, uri, env", [
    ("postgresql+psycopg://pb:s3cret@db.example:5433/pb?sslmode=require",
     "postgresql://pb@db.example:5433/pb?sslmode=require", {"PGPASSWORD": "s3cret"}),
    ("postgresql+psycopg://postgres@127.0.0.1:5432/pb", "postgresql://postgres@127.0.0.1:5432/pb",
     {}),
    # libpq decodes percent-escapes in a URI's parameters.
    ("postgresql://pb@/pb?host=/var/run/postgresql",
     "postgresql://pb@/pb?host=%2Fvar%2Frun%2Fpostgresql", {}),
], ids=["password-and-options", "no-password", "unix-socket"])
def test_a_sqlalchemy_url_becomes_one_libpq_accepts(url, uri, env):
    assert libpq_url(make_url(url)) == (uri, env)


def test_without_pg_dump_the_error_says_what_to_install(app, tmp_path, monkeypatch):
    from pb.services import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    monkeypatch.setattr(backup, "backend", lambda: "postgresql")
    result = _run(app, "backup", str(tmp_path / "pb.backup"))
    assert result.exit_code == 1
    assert "pg_dump was not found. Install the PostgreSQL client tools" in result.output
    assert not (tmp_path / "pb.backup").exists()


def test_a_backup_whose_audit_log_was_tampered_with_is_restored_but_named(world, tmp_path, app):
    entry_id = db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).first()
    db.session.execute(update(AuditEntry).where(AuditEntry.id == entry_id)
                       .values(actor="someone@else.example"))
    db.session.commit()
    file = tmp_path / "pb.backup"
    assert _run(app, "backup", str(file)).exit_code == 0
    restored = _run(app, "restore", "--yes", str(file))
    assert restored.exit_code == 1
    assert f"Entry {entry_id} was changed after it was written" in restored.output
    assert "problem(s): it was changed after it was written." in restored.output


def test_a_backup_taken_while_ballots_are_cast_holds_whole_ballots(app, tmp_path):
    """The app keeps running during a backup: what the backup holds is one moment of the
    database, never a ballot without its choices or a used code without its ballot."""
    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "organiser@example.org", ORGANISER)
    round_ = factories.round_(council, slug="busy", voting_methods=["codes"])
    ids = [factories.proposal(round_, north, t, 100_00).id for t in ("Swings", "Slide", "Pond")]
    rounds.open_voting(organiser, round_)
    codes = voting.issue_codes(organiser, round_, 80)
    db.session.commit()
    cast = threading.Event()

    def voters():
        with app.app_context():
            for i, code in enumerate(codes):
                voting.cast_ballot(voting.find_credential(code).id, ids[i % 3:])
                db.session.commit()
                if i == 5:
                    cast.set()
            db.session.remove()

    thread = threading.Thread(target=voters)
    thread.start()
    assert cast.wait(timeout=30)
    file = tmp_path / "busy.backup"
    made = _run(app, "backup", str(file))
    thread.join()
    assert made.exit_code == 0, made.output
    assert _ballot_count() == len(codes)

    assert _run(app, "restore", "--yes", str(file)).exit_code == 0
    ballots = list(db.session.scalars(select(Ballot)))
    assert 6 <= len(ballots) <= len(codes)
    sent = {voting.code_hash(code): ids[i % 3:] for i, code in enumerate(codes)}
    hashes = dict(db.session.execute(select(VoterCredential.id, VoterCredential.code_hash)).all())
    for ballot in ballots:
        assert sorted(c.proposal_id for c in ballot.choices) == sent[hashes[ballot.credential_id]]
    used = db.session.scalar(select(func.count()).select_from(VoterCredential).where(
        VoterCredential.used_at.is_not(None)))
    assert used == len(ballots)
    assert _run(app, "audit", "verify").exit_code == 0


def test_the_database_file_itself_is_neither_backup_nor_source(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("only an SQLite database is a file of its own")
    database = db.engine.url.database
    for args in (["backup", database], ["restore", "--yes", database]):
        result = _run(app, *args)
        assert result.exit_code == 1
        assert "is the database itself" in result.output
    assert _run(app, "audit", "verify").exit_code == 0
