"""Project proposals put forward for a round."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import DomainError
from ..extensions import db
from .council import Area, Partnership
from .round import Round
from .types import UTCDateTime, utcnow
from .user import User

SUBMITTED = "submitted"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
STATUSES = (SUBMITTED, APPROVED, REJECTED, WITHDRAWN)
STATUS_LABELS = {
    SUBMITTED: _l("Waiting for review"),
    APPROVED: _l("On the ballot"),
    REJECTED: _l("Not on the ballot"),
    WITHDRAWN: _l("Withdrawn"),
}

PROPOSER_TYPES = {
    "partnership": _l("Neighbourhood partnership"),
    "community_group": _l("Community group"),
    "cic": _l("Community interest company"),
    "resident": _l("Resident"),
}

SUMMARY_MAX = 280


class Proposal(db.Model):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnerships.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposer_type: Mapped[str] = mapped_column(String(30), default="partnership")
    proposer_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[int] = mapped_column(BigInteger)  # minor units (pence)
    category: Mapped[str | None] = mapped_column(String(60))
    contact: Mapped[str] = mapped_column(String(254), default="")
    illustrative: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    moderation_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    round: Mapped[Round] = relationship(back_populates="proposals")
    partnership: Mapped[Partnership | None] = relationship()
    area: Mapped[Area | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def ref(self) -> str:
        """The stable identifier used on ballots and in results and exports."""
        return str(self.id)

    def approve(self) -> None:
        if self.status not in (SUBMITTED, REJECTED):
            raise DomainError(str(_l("Only a proposal waiting for review can be approved.")))
        self.status = APPROVED

    def reject(self, reason: str) -> None:
        if self.status not in (SUBMITTED, APPROVED):
            raise DomainError(str(_l("Only a proposal waiting for review can be rejected.")))
        if not reason.strip():
            raise DomainError(str(_l("Say why, so the proposer knows.")), field="reason")
        self.status = REJECTED
        self.moderation_note = reason.strip()
