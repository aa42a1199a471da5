"""The append-only audit log of staff actions; each entry holds the hash of the one before."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .user import User

GENESIS = "0" * 64

ACTION_LABELS = {
    "user.created": _l("Account created"),
    "proposal.submitted": _l("Proposal submitted"),
    "proposal.approved": _l("Proposal approved"),
    "proposal.rejected": _l("Proposal rejected"),
    "proposal.changes_requested": _l("Changes asked for on a proposal"),
    "proposal.cost_adjusted": _l("Amount of a proposal changed"),
    "proposal.shortlisted": _l("Proposal put on the ballot"),
    "proposal.unshortlisted": _l("Proposal taken off the ballot"),
    "proposal.withdrawn": _l("Proposal withdrawn by its proposer"),
    "round.created": _l("Round set up"),
    "round.updated": _l("Round settings changed"),
    "round.change_refused": _l("Change to fixed settings refused"),
    "round.proposals_opened": _l("Round started taking proposals"),
    "round.proposals_closed": _l("Round stopped taking proposals"),
    "round.voting_opened": _l("Voting opened"),
    "codes.issued": _l("Voting codes made"),
    "codes.cards_downloaded": _l("Voting cards downloaded"),
    "codes.cards_deleted": _l("Voting card file deleted"),
    "round.voting_closed": _l("Voting closed and ballots counted"),
    "round.results_published": _l("Results published"),
    "round.count_stopped_on_tie": _l("Voting closed; the count stopped on a tie"),
    "round.tie_broken_by_lot": _l("Tie broken by the published tie-break and ballots counted"),
    "delivery.updated": _l("Delivery progress reported"),
    "user.registered": _l("Account created by its owner"),
    "partnership.created": _l("Partnership created"),
    "partnership.updated": _l("Partnership changed"),
    "invitation.sent": _l("Invitation sent"),
    "invitation.revoked": _l("Invitation withdrawn"),
    "invitation.accepted": _l("Invitation accepted"),
    "membership.removed": _l("Removed from a partnership"),
    "paper.batch_created": _l("Batch of paper ballots started"),
    "paper.count_changed": _l("Number of papers in a batch corrected"),
    "paper.keyed": _l("Paper ballot keyed"),
    "paper.mismatch_resolved": _l("Difference between the keying passes settled"),
    "paper.batch_accepted": _l("Batch of paper ballots accepted and counted"),
    "paper.batch_abandoned": _l("Batch of paper ballots abandoned"),
    "kiosk.started": _l("Device set up for voting at an event"),
    "round.imported": _l("Election imported from a pabulib file and counted"),
    "result.exported_before_publication": _l("Count exported before publication"),
    "database.backed_up": _l("Database backed up"),
    "database.restored": _l("Database restored from a backup"),
}


def canonical_details(details: dict[str, Any]) -> dict[str, Any]:
    """`details` as the database gives it back: JSON types only (tuples become lists, number
    keys become strings), so that the hash taken before storing holds after reading back.

    Raises ValueError for what JSON cannot hold faithfully (NaN, infinity, other objects).
    """
    try:
        return json.loads(json.dumps(details, allow_nan=False))
    except TypeError as error:
        raise ValueError(f"audit details must be JSON: {error}") from error


def canonical_time(at: datetime) -> str:
    """The entry's time in UTC to the microsecond: ``2026-11-23T07:35:39.180555+00:00``.

    A naive time is taken as UTC, which is how the database keeps it.
    """
    at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
    return at.isoformat(timespec="microseconds")


def chain_hash(*, at: datetime, actor_id: int | None, actor: str, action: str,
               target_type: str, target_id: str, round_id: int | None, details: dict,
               prev_hash: str) -> str:
    """SHA-256 (hex) of an entry: every stored column but the id (the chain orders entries,
    and `verify` checks that ids run without gaps) and the hash itself.

    The hashed text is compact JSON with sorted keys, non-ASCII kept as UTF-8. Entries written
    since the log began use this form; changing it would make every existing chain fail to
    verify (tests/services/test_audit.py pins it with a known entry and its hash).
    """
    payload = {
        "at": canonical_time(at),
        "actor_id": actor_id,
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "round_id": round_id,
        "details": details,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


HASHED_COLUMNS = ("at", "actor_id", "actor", "action", "target_type", "target_id", "round_id",
                  "details", "prev_hash")


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(40), default="")
    # The round the action concerns, if any; no foreign key, so the log outlives what it records.
    round_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Unique: two entries can never claim the same predecessor, so the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor_user: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    def compute_hash(self) -> str:
        return chain_hash(**{name: getattr(self, name) for name in HASHED_COLUMNS})
