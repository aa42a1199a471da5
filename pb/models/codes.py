"""Batches of voting codes, and the printable cards made with them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .round import Round
from .types import UTCDateTime, utcnow
from .user import User


class CodeBatch(db.Model):
    """Codes made together, for one event or one street.

    Only hashes of the codes are kept (on VoterCredential). The card file, which does hold
    the codes, is kept so organisers can download it again, until they delete it or voting
    closes.
    """

    __tablename__ = "code_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    label: Mapped[str] = mapped_column(String(80), default="", server_default="")
    count: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The printable cards (PDF); None when none were made or once deleted.
    card_pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    card_size: Mapped[int | None] = mapped_column(Integer)  # bytes; None when there is no file
    card_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def has_cards(self) -> bool:
        return self.card_size is not None
