"""Photos uploaded with proposals and delivery updates, stored re-encoded as JPEG."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Photo(db.Model):
    """A photo as we re-encoded it: the uploaded bytes are never kept or served.

    Kept in the database, not on disk, so that any number of app servers can serve it.
    """

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Read only when the photo itself is served, not whenever a page shows its size and text.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    alt: Mapped[str] = mapped_column(String(300), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
