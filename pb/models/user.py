"""Staff users and their roles, per council or per partnership."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .council import Council, Partnership
from .types import UTCDateTime, utcnow

COUNCIL_ADMIN = "council_admin"
ORGANISER = "organiser"
MEMBER = "member"
SCRUTINEER = "scrutineer"
VOLUNTEER = "volunteer"
ROLES = (COUNCIL_ADMIN, ORGANISER, MEMBER, SCRUTINEER, VOLUNTEER)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The language of the email we send them: the one they last chose on the site.
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def roles_for(self, council_id: int, partnership_id: int | None) -> set[str]:
        """Roles that apply to an object of this council and (optional) partnership.

        A council-wide membership (no partnership) applies to every partnership of the council.
        """
        return {
            m.role
            for m in self.memberships
            if m.council_id == council_id
            and (m.partnership_id is None or m.partnership_id == partnership_id)
        }

    def partnerships_with(self, role: str) -> list[Partnership]:
        """Partnerships in which the user holds `role` (council-wide roles count for all)."""
        found: dict[int, Partnership] = {}
        for m in self.memberships:
            if m.role != role:
                continue
            for p in [m.partnership] if m.partnership else m.council.partnerships:
                found[p.id] = p
        return sorted(found.values(), key=lambda p: p.name)


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "council_id", "partnership_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"))
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnerships.id"))
    role: Mapped[str] = mapped_column(String(30))

    user: Mapped[User] = relationship(back_populates="memberships")
    council: Mapped[Council] = relationship()
    partnership: Mapped[Partnership | None] = relationship()
