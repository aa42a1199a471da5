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

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, text

from ..extensions import db
from ..models import AuditEntry, Invitation, Partnership, Proposal, Round, User
from ..models.audit import ACTION_LABELS, GENESIS, HASHED_COLUMNS, canonical_details, chain_hash
from ..models.delivery import STATUS_LABELS as DELIVERY_STATUS_LABELS
from ..models.invitation import ROLE_LABELS
from ..models.proposal import STATUS_LABELS as PROPOSAL_STATUS_LABELS
from ..models.round import BALLOT_TYPES, RULES, TIE_BREAKS, VOTING_METHODS
from ..models.types import utcnow
from ..models.user import COUNCIL_ADMIN
from . import access


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
BAD_ID = "bad_id"            # an id below 1, which `record` never gives
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
        if self.kind == BAD_ID:
            return _("Entry %(id)s has an id the log never gives out: ids start at 1.", **p)
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
        if row["id"] < 1:
            problems.append(Problem(BAD_ID, row["id"]))
        elif row["id"] != expected_id:
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


# Reading the log in the app -------------------------------------------------------------------

PER_PAGE = 50


@dataclass
class Scope:
    """What of the log one person may read: rounds, and partnerships or whole councils."""

    user: User
    rounds: dict[int, Round]

    def covers(self, council_id: int, partnership_id: int | None) -> bool:
        return access.can_read_audit(self.user, council_id, partnership_id)


def scope_for(user: User | None) -> Scope | None:
    """What `user` may read of the log; None if nothing (residents, members, volunteers)."""
    if not access.reads_audit_log(user):
        return None
    rounds = {r.id: r for r in db.session.scalars(select(Round).order_by(Round.created_at.desc(),
                                                                         Round.id))
              if access.can_read_audit(user, r.council_id, r.partnership_id)}
    return Scope(user=user, rounds=rounds)


@dataclass
class LogPage:
    """One page of the entries a person may read, newest first, and the filters' choices."""

    entries: list[AuditEntry]
    page: int
    pages: int
    total: int
    actions: list[tuple[str, str]]


def log_page(scope: Scope, round_id: int | None = None, action: str = "",
             page: int = 1, per_page: int = PER_PAGE) -> LogPage:
    """The entries `scope` may read, newest first, optionally of one round and one action.

    A round outside the scope, or an action that is not in the log, matches nothing.
    """
    query = select(AuditEntry.id, AuditEntry.round_id, AuditEntry.action,
                   AuditEntry.target_type, AuditEntry.target_id).order_by(AuditEntry.id.desc())
    if round_id is None:
        query = query.where(or_(AuditEntry.round_id.in_(list(scope.rounds)),
                                AuditEntry.round_id.is_(None)))
    else:
        query = query.where(AuditEntry.round_id == round_id)
    rows = list(db.session.execute(query)) if round_id is None or round_id in scope.rounds else []
    readable = _readable_without_round(scope, [r for r in rows if r.round_id is None])
    visible = [r for r in rows if r.round_id is not None or r.id in readable]
    actions = sorted({r.action for r in visible}, key=lambda a: str(ACTION_LABELS.get(a, a)))
    if action:
        visible = [r for r in visible if r.action == action]
    pages = max(1, math.ceil(len(visible) / per_page))
    page = min(max(1, page), pages)
    ids = [r.id for r in visible[(page - 1) * per_page:page * per_page]]
    entries = list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.id.in_(ids)).order_by(AuditEntry.id.desc()))) \
        if ids else []
    return LogPage(entries=entries, page=page, pages=pages, total=len(visible),
                   actions=[(a, str(ACTION_LABELS.get(a, a))) for a in actions])


def _readable_without_round(scope: Scope, rows: list) -> set[int]:
    """Ids of the entries that concern no round which `scope` may read: those about a
    partnership, its invitations and people, or accounts given roles in a council it covers.
    Entries about no council at all (people registering to propose) are shown to no one."""
    if not rows:
        return set()
    partnerships = dict(db.session.execute(select(Partnership.id, Partnership.council_id)).all())
    invitation_ids = [int(r.target_id) for r in rows
                      if r.target_type == "invitation" and r.target_id.isdigit()]
    invitations = {i.id: (i.council_id, i.partnership_id) for i in db.session.scalars(
        select(Invitation).where(Invitation.id.in_(invitation_ids)))} if invitation_ids else {}
    need_details = [r.id for r in rows if r.action in ("membership.removed", "user.created")]
    details = dict(db.session.execute(select(AuditEntry.id, AuditEntry.details).where(
        AuditEntry.id.in_(need_details))).all()) if need_details else {}

    def places(row) -> Iterable[tuple[int, int | None]]:
        if row.target_type == "partnership" and row.target_id.isdigit():
            pid = int(row.target_id)
            if pid in partnerships:
                yield partnerships[pid], pid
        elif row.target_type == "invitation" and row.target_id.isdigit():
            if int(row.target_id) in invitations:
                yield invitations[int(row.target_id)]
        elif row.action == "membership.removed":
            pid = _as_int((details.get(row.id) or {}).get("partnership_id"))
            if pid in partnerships:
                yield partnerships[pid], pid
        elif row.action == "user.created":
            for role in (details.get(row.id) or {}).get("roles") or []:
                if isinstance(role, list) and len(role) == 3 and _as_int(role[0]) is not None:
                    yield _as_int(role[0]), _as_int(role[1])

    return {row.id for row in rows if any(scope.covers(c, p) for c, p in places(row))}


def _as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# Entries in plain words ------------------------------------------------------------------------

DETAIL_LABELS = {
    "email": _l("Email"),
    "roles": _l("Roles given"),
    "role": _l("Role"),
    "count": _l("Number of codes"),
    "batch": _l("Batch"),
    "batch_id": _l("Batch number"),
    "label": _l("Batch"),
    "projects": _l("Projects"),
    "ballot_type": _l("Ballot"),
    "ballot_settings": _l("Ballot settings"),
    "rule": _l("How the money is shared"),
    "rule_settings": _l("Settings"),
    "tie_break": _l("Tie-break"),
    "seed": _l("Tie-break seed"),
    "tied": _l("Tied projects"),
    "step": _l("Step"),
    "ballots": _l("Ballots"),
    "spent": _l("Spent"),
    "ballots_sha256": _l("Fingerprint of the ballots (SHA-256)"),
    "pot": _l("Pot"),
    "currency": _l("Currency"),
    "allow_vote_change": _l("Residents may change their vote until voting closes"),
    "voting_methods": _l("How residents show they may vote"),
    "eligible_districts": _l("Postcode districts whose residents may vote (optional)"),
    "min_age": _l("Minimum age"),
    "changed": _l("Changed"),
    "title": _l("Name of the round"),
    "dates": _l("Timetable"),
    "fields": _l("Settings"),
    "attempted": _l("Asked for"),
    "round": _l("Round"),
    "cost": _l("Amount"),
    "previous": _l("Amount before"),
    "reason": _l("Reason"),
    "note": _l("Note"),
    "from": _l("Status before"),
    "declared_count": _l("Number of papers"),
    "before": _l("Before"),
    "after": _l("After"),
    "pass_number": _l("Keying pass"),
    "paper_number": _l("Paper number"),
    "spoilt": _l("Spoilt"),
    "chosen_pass": _l("Pass kept"),
    "pass_1": _l("First pass"),
    "pass_2": _l("Second pass"),
    "name": _l("Name"),
    "slug": _l("Web address"),
    "areas": _l("Areas"),
    "areas_added": _l("Areas added"),
    "areas_removed": _l("Areas removed"),
    "areas_changed": _l("Areas changed"),
    "partnership": _l("Partnership"),
    "replaced": _l("Invitations replaced"),
    "update": _l("Update number"),
    "status": _l("Status"),
    "spent_to_date": _l("Spent so far"),
    "award": _l("Award"),
    "savings_per_year": _l("Savings a year"),
    "photo": _l("Photo"),
    "device": _l("Device"),
    "file": _l("File"),
    "sha256": _l("Fingerprint of the file (SHA-256)"),
    "replaced_entries": _l("Entries in the audit log it replaced"),
    "format": _l("Format"),
    "proposals_open_at": _l("Proposals open"),
    "proposals_close_at": _l("Proposals close and review begins"),
    "shortlist_at": _l("Shortlist announced"),
    "voting_opens_at": _l("Voting opens"),
    "voting_closes_at": _l("Voting closes"),
    "results_at": _l("Results published"),
    "delivery_by": _l("Projects delivered by"),
}
# Shown by other means: the partnership's name is beside its id, and the entry names its round.
HIDDEN_DETAILS = {"partnership_id", "round"}
MONEY_DETAILS = {"cost", "previous", "spent", "award", "spent_to_date", "savings_per_year", "pot"}
VALUE_LABELS = {
    "ballot_type": BALLOT_TYPES,
    "rule": RULES,
    "tie_break": TIE_BREAKS,
    "voting_methods": VOTING_METHODS,
    "from": PROPOSAL_STATUS_LABELS,
}
COUNCIL_ADMIN_LABEL = _l("Council administrator")


def describe(entry: AuditEntry, money: Callable[[int, str], str],
             partnerships: dict[int, str] | None = None) -> list[tuple[str, str]]:
    """An entry's details as (label, value) pairs in plain words, in the current language.

    Parameters
    ----------
    entry
        The audit entry.
    money
        Formats whole pence in a currency for the reader, e.g. ``money(150000, "GBP")``.
    partnerships
        Partnership names by id, to name the partnership of a role.
    """
    currency = str(entry.details.get("currency") or "") if isinstance(entry.details, dict) else ""
    if not currency and entry.round_id is not None:
        round_ = db.session.get(Round, entry.round_id)
        currency = round_.currency if round_ else ""
    speaker = _Speaker(money, currency or "GBP", partnerships or {}, entry.action)
    if not isinstance(entry.details, dict):
        return [("", speaker.value("", entry.details))]
    return [(speaker.label(key), speaker.value(key, value))
            for key, value in entry.details.items()
            if key not in HIDDEN_DETAILS and value not in ([], {})]


@dataclass
class _Speaker:
    money: Callable[[int, str], str]
    currency: str
    partnerships: dict[int, str]
    action: str

    def label(self, key: str) -> str:
        return str(DETAIL_LABELS.get(key, key))

    def value(self, key: str, value: Any) -> str:
        if value is None or value == "" or value == [] or value == {}:
            return "—"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if key in MONEY_DETAILS and isinstance(value, int):
            return self.money(value, self.currency)
        if key == "status" and self.action == "delivery.updated":
            return str(DELIVERY_STATUS_LABELS.get(value, value))
        if key == "role" and isinstance(value, str):
            return self.role(value)
        if key == "roles" and isinstance(value, list):
            return "; ".join(self.role_in(role) for role in value)
        if key in VALUE_LABELS and isinstance(value, str):
            return str(VALUE_LABELS[key].get(value, value))
        if key == "fields" and isinstance(value, list):
            return ", ".join(self.label(str(v)) for v in value)
        if isinstance(value, dict):
            return "; ".join(f"{self.label(str(k))}: {self.value(str(k), v)}"
                             for k, v in value.items())
        if isinstance(value, list):
            return "; ".join(self.value(key, v) if not isinstance(v, list)
                             else ", ".join(self.value(key, x) for x in v) for v in value)
        return str(value)

    def role(self, role: str) -> str:
        return str(COUNCIL_ADMIN_LABEL if role == COUNCIL_ADMIN else ROLE_LABELS.get(role, role))

    def role_in(self, role: Any) -> str:
        if not (isinstance(role, list) and len(role) == 3):
            return self.value("", role)
        _council, partnership_id, name = role
        if partnership_id is None:
            return _("%(role)s, whole council", role=self.role(str(name)))
        where = self.partnerships.get(partnership_id, str(partnership_id))
        return _("%(role)s, %(partnership)s", role=self.role(str(name)), partnership=where)


TARGET_LABELS = {
    "round": _l("Round"),
    "proposal": _l("Proposal"),
    "user": _l("Account"),
    "partnership": _l("Partnership"),
    "invitation": _l("Invitation"),
    "codebatch": _l("Batch of voting codes"),
    "paperbatch": _l("Batch of paper ballots"),
}


@dataclass
class Names:
    """Names for what the entries on a page concern, looked up once for the page."""

    rounds: dict[int, str]
    proposals: dict[int, str]
    users: dict[int, str]
    partnerships: dict[int, str]

    def target(self, entry: AuditEntry) -> str:
        """What the entry concerns, e.g. "Proposal 12: Bench by the pond"."""
        kind = entry.target_type
        if not kind:
            return "—"
        ident = int(entry.target_id) if entry.target_id.isdigit() else None
        name = {"round": self.rounds, "proposal": self.proposals, "user": self.users,
                "partnership": self.partnerships}.get(kind, {}).get(ident)
        label = str(TARGET_LABELS.get(kind, kind))
        if name:
            return _("%(kind)s %(id)s: %(name)s", kind=label, id=entry.target_id, name=name)
        return _("%(kind)s %(id)s", kind=label, id=entry.target_id)


def names_for(entries: list[AuditEntry]) -> Names:
    """Look up the names of the rounds, proposals, accounts and partnerships on a page."""

    def ids(kind: str) -> list[int]:
        return [int(e.target_id) for e in entries
                if e.target_type == kind and e.target_id.isdigit()]

    round_ids = {e.round_id for e in entries if e.round_id is not None} | set(ids("round"))
    return Names(
        rounds=dict(db.session.execute(select(Round.id, Round.title).where(
            Round.id.in_(round_ids))).all()) if round_ids else {},
        proposals=dict(db.session.execute(select(Proposal.id, Proposal.title).where(
            Proposal.id.in_(ids("proposal")))).all()),
        users=dict(db.session.execute(select(User.id, User.name).where(
            User.id.in_(ids("user")))).all()),
        partnerships=dict(db.session.execute(select(Partnership.id, Partnership.name)).all()),
    )
