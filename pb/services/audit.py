"""Writing to the append-only, hash-chained audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from ..extensions import db
from ..models import AuditEntry, Round, User
from ..models.audit import GENESIS
from ..models.types import utcnow


def record(actor: User | None, action: str, target: Any = None, **details: Any) -> AuditEntry:
    """Append an entry for a state change made by `actor` (None: the system itself).

    The entry is added to the current transaction, so it commits, or rolls back, with the
    change it describes.
    """
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers so that two entries never read the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
    last = session.scalars(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor=actor.email if actor else "system",
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=str(getattr(target, "id", "")) if target is not None else "",
        round_id=_round_id(target),
        details={k: v for k, v in details.items()},
        prev_hash=last or GENESIS,
    )
    entry.hash = entry.compute_hash()
    session.add(entry)
    session.flush()
    return entry


def _round_id(target: Any) -> int | None:
    if isinstance(target, Round):
        return target.id
    return getattr(target, "round_id", None)


def verify_chain() -> list[int]:
    """Return the ids of entries whose hash or link to the previous entry does not hold."""
    bad: list[int] = []
    previous = GENESIS
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        if entry.prev_hash != previous or entry.hash != entry.compute_hash():
            bad.append(entry.id)
        previous = entry.hash
    return bad
