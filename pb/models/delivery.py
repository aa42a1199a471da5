"""After the vote: how funded projects are delivered, and residents who follow the progress."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .photo import Photo
from .proposal import Proposal
from .round import Round
from .types import UTCDateTime, utcnow
from .user import User

FUNDED = "funded"
IN_PROGRESS = "in_progress"
DELIVERED = "delivered"
WITHDRAWN = "withdrawn"
STATUSES = (FUNDED, IN_PROGRESS, DELIVERED, WITHDRAWN)
STATUS_LABELS = {
    FUNDED: _l("Funded, not started yet"),
    IN_PROGRESS: _l("In progress"),
    DELIVERED: _l("Delivered"),
    WITHDRAWN: _l("Withdrawn"),
}

OUTPUTS_MAX = 2000
NOTE_MAX = 1000
MATCH_FUNDING_MAX = 300


class DeliveryUpdate(db.Model):
    """One short report on a funded project. The latest one is the project's current state."""

    __tablename__ = "delivery_updates"
    __table_args__ = (
        CheckConstraint("spent_to_date >= 0", name="spent_not_negative"),
        CheckConstraint("savings_per_year IS NULL OR savings_per_year >= 0",
                        name="savings_not_negative"),
        CheckConstraint("status IN ('funded', 'in_progress', 'delivered', 'withdrawn')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20))
    spent_to_date: Mapped[int] = mapped_column(BigInteger)  # minor units (pence)
    outputs: Mapped[str] = mapped_column(Text, default="")  # in the group's own words
    savings_per_year: Mapped[int | None] = mapped_column(BigInteger)  # minor units, estimated
    match_funding: Mapped[str] = mapped_column(String(MATCH_FUNDING_MAX), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))

    proposal: Mapped[Proposal] = relationship()
    author: Mapped[User] = relationship()
    photo: Mapped[Photo | None] = relationship()

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


class Follower(db.Model):
    """A resident who asked for a round's delivery updates by email (double opt-in)."""

    __tablename__ = "followers"
    __table_args__ = (UniqueConstraint("round_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The language the updates are written in: the one the page was in when they followed.
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # When we last sent a confirmation link, so that asking again does not flood an inbox.
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()

    @property
    def receives_updates(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
