"""Backing up the whole database to one file, and putting a backup back.

SQLite: the sqlite3 online backup API copies a consistent snapshot while the app carries on
serving (other processes may read and write throughout); the file is an ordinary SQLite
database. Restoring copies it back over the live file the same way, in one step, so a restore
either happens completely or not at all.

PostgreSQL: ``pg_dump -Fc`` (a consistent snapshot, also safe while the app runs) and
``pg_restore --clean --if-exists --no-owner --single-transaction`` into the database in
PB_DATABASE_URL: if anything fails, the transaction rolls back and nothing is changed.

A restore is checked first (the file must be a backup of this platform for this kind of
database) and the audit chain is verified afterwards. Both are written to the audit log: the
backup after the copy is taken, the restore after it is done (it replaces the log it would
otherwise have been written to).

Messages are for the operator at the terminal, in English, like the rest of `pb`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from ..extensions import db
from . import audit

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables every database of the platform has: a file without them is not one of its backups.
REQUIRED_TABLES = ("alembic_version", "audit_log", "ballots")


class BackupError(Exception):
    """The backup or restore could not be done; `message` says why, for the operator."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class BackupFile:
    """A backup written, or read to be restored."""

    path: Path
    size: int
    sha256: str


@dataclass
class Restored:
    """A restore done: the file, and the audit chain of the restored database."""

    file: BackupFile
    chain: audit.ChainReport
    replaced_entries: int | None


def backend() -> str:
    """"sqlite" or "postgresql": the kind of database PB_DATABASE_URL names."""
    name = db.engine.url.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {name} databases are not supported.")
    return name


def where() -> str:
    """The database, as the operator should see it (without its password)."""
    return db.engine.url.render_as_string(hide_password=True)


def backup(path: str | os.PathLike) -> BackupFile:
    """Copy the whole database to `path` (replaced if it exists) and record it in the audit log.

    The copy is written beside `path` and renamed into place once complete, so `path` never
    holds half a backup. The caller commits.
    """
    target = Path(path)
    _not_the_database(target)
    partial = target.with_name(f".{target.name}.partial")
    try:
        if backend() == "sqlite":
            _sqlite_copy(_sqlite_file(), partial, to_backup=True)
        else:
            _run_pg("pg_dump", ["--format=custom", "--no-owner", f"--file={partial}"])
        os.replace(partial, target)
    except OSError as error:
        raise BackupError(f"could not write {target}: {error.strerror or error}.") from error
    finally:
        partial.unlink(missing_ok=True)
    written = _describe(target)
    audit.record(None, "database.backed_up", None, file=target.name, sha256=written.sha256)
    return written


def check(path: str | os.PathLike) -> BackupFile:
    """Check that `path` is a backup this database can be restored from; changes nothing.

    Raises BackupError saying what the file is, when it is not.
    """
    source = Path(path)
    _not_the_database(source)
    try:
        with open(source, "rb") as handle:
            head = handle.read(16)
    except OSError as error:
        raise BackupError(f"could not read {source}: {error.strerror or error}.") from error
    kind = backend()
    if head.startswith(SQLITE_MAGIC):
        found = "sqlite"
    elif head.startswith(PG_DUMP_MAGIC):
        found = "postgresql"
    else:
        raise BackupError(f"{source} is not a backup made by `pb backup`.")
    if found != kind:
        made = "an SQLite" if found == "sqlite" else "a PostgreSQL (pg_dump)"
        raise BackupError(f"{source} is {made} backup, but this database is "
                          f"{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}. Restore it into "
                          "a database of the same kind.")
    tables = _sqlite_tables(source) if kind == "sqlite" else _pg_dump_tables(source)
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        names = " or ".join(filter(None, [", ".join(missing[:-1]), missing[-1]]))
        raise BackupError(f"{source} is a database backup, but not of this platform: it has no "
                          f"{names} table.")
    return _describe(source)


def restore(path: str | os.PathLike) -> Restored:
    """Replace everything in the database with the backup at `path`, all or nothing.

    Checks the file first (see `check`), then verifies the restored audit chain and records the
    restore as the log's newest entry. The caller commits.
    """
    source = check(path)
    replaced = _log_length()
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold a lock the restore needs
    if backend() == "sqlite":
        _sqlite_copy(source.path, _sqlite_file(), to_backup=False)
    else:
        _run_pg("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction",
                               "--exit-on-error", str(source.path)])
    db.engine.dispose()
    chain = audit.verify()
    audit.record(None, "database.restored", None, file=source.path.name, sha256=source.sha256,
                 replaced_entries=replaced)
    return Restored(file=source, chain=chain, replaced_entries=replaced)


def _not_the_database(path: Path) -> None:
    if backend() == "sqlite" and path.resolve() in {
            _sqlite_file().resolve().with_name(_sqlite_file().name + suffix)
            for suffix in ("", "-wal", "-shm", "-journal")}:
        raise BackupError(f"{path} is the database itself: give another file.")


def _describe(path: Path) -> BackupFile:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return BackupFile(path=path, size=path.stat().st_size, sha256=digest.hexdigest())


def _log_length() -> int | None:
    """How many entries the audit log about to be replaced holds (None: it cannot be read)."""
    try:
        return audit.verify().count
    except Exception:  # noqa: BLE001 - a damaged database is what restores are for
        db.session.rollback()
        return None


# SQLite --------------------------------------------------------------------------------------

def _sqlite_file() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("only an SQLite database in a file can be backed up or restored.")
    return Path(name)


def _sqlite_copy(source: Path, target: Path, *, to_backup: bool) -> None:
    """Copy `source` onto `target` with the online backup API, in one step."""
    try:
        reader = sqlite3.connect(source)
        try:
            writer = sqlite3.connect(target)
            try:
                writer.execute("PRAGMA busy_timeout=15000")
                reader.backup(writer)
                if to_backup:  # a backup stands alone: no -wal file beside it
                    writer.execute("PRAGMA journal_mode=DELETE")
            finally:
                writer.close()
        finally:
            reader.close()
    except sqlite3.Error as error:
        action = "take the backup" if to_backup else "restore the backup; nothing was changed"
        raise BackupError(f"could not {action}: {error}.") from error


def _sqlite_tables(path: Path) -> set[str]:
    try:
        reader = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            result = reader.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise BackupError(f"{path} is damaged (SQLite says: {result and result[0]}).")
            return {row[0] for row in reader.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            reader.close()
    except sqlite3.Error as error:
        raise BackupError(f"{path} is damaged or not a complete backup ({error}).") from error


# PostgreSQL ----------------------------------------------------------------------------------

def libpq_url(url: URL) -> tuple[str, dict]:
    """A SQLAlchemy URL (postgresql+psycopg://...) as a URI the libpq tools accept, and the
    environment that carries its password (kept off the command line, where `ps` shows it)."""
    env = {"PGPASSWORD": url.password} if url.password else {}
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False), env


def _run_pg(tool: str, args: list[str]) -> str:
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} was not found. Install the PostgreSQL client tools (the "
                          "same major version as the server, or newer) and try again.")
    uri, env = libpq_url(db.engine.url)
    done = subprocess.run([program, f"--dbname={uri}", *args], capture_output=True, text=True,
                          env={**os.environ, **env})
    if done.returncode != 0:
        detail = " ".join(done.stderr.strip().splitlines()[-3:]) or f"exit code {done.returncode}"
        nothing = "; nothing was changed" if tool == "pg_restore" else ""
        raise BackupError(f"{tool} failed{nothing}: {detail}")
    return done.stdout


def _pg_dump_tables(path: Path) -> set[str]:
    """The tables in a pg_dump archive's table of contents (pg_restore --list reads it)."""
    listing = _run_pg_list(path)
    tables = set()
    for line in listing.splitlines():
        parts = line.split()
        if not line.startswith(";") and "TABLE" in parts:
            at = parts.index("TABLE")
            if len(parts) > at + 2 and parts[at + 1] != "DATA":
                tables.add(parts[at + 2])
    return tables


def _run_pg_list(path: Path) -> str:
    program = shutil.which("pg_restore")
    if program is None:
        raise BackupError("pg_restore was not found. Install the PostgreSQL client tools (the "
                          "same major version as the server, or newer) and try again.")
    done = subprocess.run([program, "--list", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        detail = " ".join(done.stderr.strip().splitlines()[-2:])
        raise BackupError(f"{path} is damaged or not a complete backup ({detail}).")
    return done.stdout
