"""The append-only, hash-chained audit log: writing to it, checking it, and reading it.

Each entry holds the hash of the one before (`prev_hash`) and its own hash over every column
that matters (pb/models/audit.py `chain_hash`). Ids run 1, 2, 3, ... without gaps: `record`
gives each entry the next one itself, so a transaction that rolls back leaves no hole.
`verify` walks the log in id order and names every entry that was changed, removed, inserted
or moved. It cannot tell that entries were cut from the end, or that the whole log was
rewritten with fresh hashes: for that, note the last hash it reports and give it back later
(`pb audit verify --last-seen HASH`, or the check on the audit log page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, text

from ..extensions import db
from ..models import AuditEntry, Round, User
from ..models.audit import GENESIS, HASHED_COLUMNS, canonical_details, chain_hash
from ..models.types import utcnow


def record(actor: User | None, action: str, target: Any = None, **details: Any) -> AuditEntry:
    """Append an entry for a state change made by `actor` (None: the system itself).

    The entry is added to the current transaction, so it commits, or rolls back, with the
    change it describes.
    """
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers so that two entries never read the same predecessor (or id).
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    entry = AuditEntry(
        id=last.id + 1 if last else 1,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor=actor.email if actor else "system",
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=str(getattr(target, "id", "")) if target is not None else "",
        round_id=_round_id(target),
        details=canonical_details(details),
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry.compute_hash()
    session.add(entry)
    session.flush()
    return entry


def _round_id(target: Any) -> int | None:
    if isinstance(target, Round):
        return target.id
    return getattr(target, "round_id", None)


# Checking the chain ---------------------------------------------------------------------------

EDITED = "edited"            # what the entry holds no longer matches its hash
MISSING = "missing"          # ids are missing before this entry
UNLINKED = "unlinked"        # its prev_hash names no entry in the log
MISPLACED = "misplaced"      # its prev_hash names an entry, but not the one before it
NOT_FIRST = "not_first"      # it claims to start the log, but is not first
UNREADABLE = "unreadable"    # the database cannot give the entry back as written
LAST_SEEN_GONE = "last_seen_gone"  # a hash noted earlier is no longer in the log


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the log, at the entry `entry_id` (None: the log as a whole)."""

    kind: str
    entry_id: int | None
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """What is wrong, in plain words, in the current language."""
        p = {"id": self.entry_id, **self.params}
        if self.kind == EDITED:
            return _("Entry %(id)s was changed after it was written: what it holds no longer "
                     "matches its hash.", **p)
        if self.kind == MISSING and p["first"] == p["last"]:
            return _("Entry %(first)s is missing: it was deleted.", **p)
        if self.kind == MISSING:
            return _("Entries %(first)s to %(last)s are missing: they were deleted.", **p)
        if self.kind == UNLINKED and p.get("previous") is None:
            return _("Entry %(id)s is the first in the log, but it follows an entry that is no "
                     "longer there: entries at the start were deleted.", **p)
        if self.kind == UNLINKED:
            return _("Entry %(id)s does not follow on from entry %(previous)s before it: an "
                     "entry between them was deleted, or entry %(previous)s was changed and "
                     "given a new hash.", **p)
        if self.kind == MISPLACED and p.get("previous") is None:
            return _("Entry %(id)s is the first in the log, but it was written after entry "
                     "%(follows)s: entries were moved.", **p)
        if self.kind == MISPLACED:
            return _("Entry %(id)s was written after entry %(follows)s, but now comes after "
                     "entry %(previous)s: entries were inserted or moved.", **p)
        if self.kind == NOT_FIRST:
            return _("Entry %(id)s says it is the first entry of the log, but it comes after "
                     "entry %(previous)s: it was inserted, or entries were moved.", **p)
        if self.kind == UNREADABLE:
            return _("Entry %(id)s cannot be read: it was changed in the database.", **p)
        return _("The hash %(hash)s, noted from an earlier check, is no longer in the log: "
                 "entries were removed from its end, or the whole log was rewritten.", **p)


@dataclass
class ChainReport:
    """What `verify` found: how many entries, the last hash, and every problem."""

    count: int
    last_hash: str | None
    problems: list[Problem]

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def bad_ids(self) -> list[int]:
        return sorted({p.entry_id for p in self.problems if p.entry_id is not None})


def verify(last_seen: str | None = None) -> ChainReport:
    """Walk the whole log in id order and report every entry that breaks the chain.

    Parameters
    ----------
    last_seen
        A hash reported by an earlier check. If no entry has it any more, that is a problem:
        the chain alone cannot show entries cut from its end.

    Returns
    -------
    ChainReport
        The number of entries, the hash of the last one, and the problems in id order.
    """
    rows = _chain_rows()
    by_hash = {row["hash"]: row["id"] for row in rows if row.get("hash")}
    problems: list[Problem] = []
    previous: dict | None = None
    for row in rows:
        expected_id = previous["id"] + 1 if previous else 1
        if row["id"] != expected_id:
            problems.append(Problem(MISSING, row["id"],
                                    {"first": expected_id, "last": row["id"] - 1}))
        problems.extend(_link_problems(row, previous, by_hash))
        if row.get("unreadable"):
            problems.append(Problem(UNREADABLE, row["id"]))
        elif _hash_of(row) != row["hash"]:
            problems.append(Problem(EDITED, row["id"]))
        previous = row
    if last_seen and last_seen.strip().lower() not in by_hash:
        problems.append(Problem(LAST_SEEN_GONE, None, {"hash": last_seen.strip().lower()}))
    return ChainReport(count=len(rows), last_hash=previous["hash"] if previous else None,
                       problems=problems)


def verify_chain() -> list[int]:
    """The ids of the entries at which the chain does not hold (empty when intact)."""
    return verify().bad_ids


def _link_problems(row: dict, previous: dict | None, by_hash: dict[str, int]) -> list[Problem]:
    expected = previous["hash"] if previous else GENESIS
    if row["prev_hash"] == expected:
        return []
    before = previous["id"] if previous else None
    if row["prev_hash"] == GENESIS:
        return [Problem(NOT_FIRST, row["id"], {"previous": before})]
    follows = by_hash.get(row["prev_hash"])
    if follows is not None and follows != row["id"]:
        return [Problem(MISPLACED, row["id"], {"follows": follows, "previous": before})]
    return [Problem(UNLINKED, row["id"], {"previous": before})]


def _hash_of(row: dict) -> str | None:
    try:
        return chain_hash(**{name: row[name] for name in HASHED_COLUMNS})
    except (TypeError, ValueError, AttributeError):  # a value no writer could have stored
        return None


_COLUMNS = ("id", *HASHED_COLUMNS, "hash")


def _chain_rows() -> list[dict]:
    """Every entry's columns as the database holds them now, in id order.

    Columns, not ORM objects, so that nothing cached in the session hides a change. An entry
    the database cannot give back (SQLite will store any text in any column) is marked
    unreadable rather than stopping the check.
    """
    columns = [getattr(AuditEntry, name) for name in _COLUMNS]
    query = select(*columns).order_by(AuditEntry.id)
    try:
        return [dict(row._mapping) for row in db.session.execute(query)]
    except (TypeError, ValueError):
        pass
    rows = []
    for entry_id in db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)):
        try:
            row = db.session.execute(query.where(AuditEntry.id == entry_id)).one()
            rows.append(dict(row._mapping))
        except (TypeError, ValueError):
            prev_hash, hash_ = db.session.execute(
                select(AuditEntry.prev_hash, AuditEntry.hash).where(AuditEntry.id == entry_id)
            ).one()
            rows.append({"id": entry_id, "prev_hash": prev_hash, "hash": hash_,
                         "unreadable": True})
    return rows
