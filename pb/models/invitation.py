"""Invitations to join a neighbourhood partnership in a role, by a signed, single-use link."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .council import Council, Partnership
from .types import UTCDateTime, utcnow
from .user import MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER, User

# Roles a partnership can invite people to, in the order the invite form offers them.
INVITABLE_ROLES = (MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER)

ROLE_LABELS = {
    MEMBER: _l("Member"),
    ORGANISER: _l("Organiser"),
    SCRUTINEER: _l("Scrutineer"),
    VOLUNTEER: _l("Volunteer"),
}

ROLE_HINTS = {
    MEMBER: _l("Can propose projects for the partnership."),
    ORGANISER: _l("Can run the partnership's rounds, manage its areas and invite people."),
    SCRUTINEER: _l("Can check results before they are published."),
    VOLUNTEER: _l("Helps residents at events on voting days."),
}


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_partnership_id_email", "partnership_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"))
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"))
    email: Mapped[str] = mapped_column(String(254))  # always lower case
    role: Mapped[str] = mapped_column(String(30))
    # SHA-256 of the random nonce carried in the link: the link itself is never stored.
    nonce_hash: Mapped[str] = mapped_column(String(64))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partnership: Mapped[Partnership] = relationship()
    council: Mapped[Council] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS.get(self.role, self.role))

    def is_pending(self, now: datetime) -> bool:
        """Not yet accepted, not revoked and not expired at `now`."""
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now
