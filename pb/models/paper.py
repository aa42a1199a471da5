"""Paper ballots, keyed twice by different people in batches before they become ballots.

A batch is one envelope of papers with its header sheet, which says how many papers it holds.
Each paper is keyed once in pass 1 and once in pass 2, by someone who did not key the other
pass. When both passes agree paper by paper and each has exactly the declared number of
papers, an organiser accepts the batch and every paper that is not spoilt becomes a ballot.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .round import Round
from .types import UTCDateTime, utcnow
from .user import User

KEYING = "keying"
ACCEPTED = "accepted"
ABANDONED = "abandoned"
BATCH_STATUSES = {
    KEYING: _l("Being keyed"),
    ACCEPTED: _l("Accepted: counted as ballots"),
    ABANDONED: _l("Abandoned: not counted"),
}
PASSES = (1, 2)


class PaperBatch(db.Model):
    __tablename__ = "paper_batches"
    __table_args__ = (UniqueConstraint("round_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    # The number of papers written on the envelope or header sheet.
    declared_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=KEYING, server_default=KEYING)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])
    entries: Mapped[list[PaperEntry]] = relationship(
        back_populates="batch", cascade="all, delete-orphan",
        order_by="(PaperEntry.pass_number, PaperEntry.paper_number)")

    @property
    def status_label(self) -> str:
        return str(BATCH_STATUSES[self.status])

    def entries_of(self, pass_number: int) -> dict[int, PaperEntry]:
        """Paper number -> entry, for one pass."""
        return {e.paper_number: e for e in self.entries if e.pass_number == pass_number}


class PaperEntry(db.Model):
    """One paper as one person keyed it in one pass."""

    __tablename__ = "paper_entries"
    __table_args__ = (UniqueConstraint("batch_id", "pass_number", "paper_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("paper_batches.id", ondelete="CASCADE"),
                                          index=True)
    pass_number: Mapped[int] = mapped_column(Integer)  # 1 or 2
    paper_number: Mapped[int] = mapped_column(Integer)  # 1..the batch's declared count
    keyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    keyed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # [[proposal id, value], ...] as pb.services.ballots reads them; empty when spoilt.
    marks: Mapped[list] = mapped_column(JSON, default=list)
    spoilt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    spoilt_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Set when an organiser settled a difference between the passes by choosing a version.
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    batch: Mapped[PaperBatch] = relationship(back_populates="entries")
    keyed_by: Mapped[User | None] = relationship(foreign_keys=[keyed_by_id])

    @property
    def round_id(self) -> int:
        return self.batch.round_id

    def version(self) -> dict:
        """What this entry says, for comparing and for the audit log."""
        return {"marks": [list(m) for m in self.marks or []], "spoilt": bool(self.spoilt),
                "reason": self.spoilt_reason or ""}
