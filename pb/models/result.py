"""Stored tally results: the engine's output with everything needed to reproduce it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .round import Round
from .types import UTCDateTime, utcnow


class TallyResult(db.Model):
    __tablename__ = "tally_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    rule: Mapped[str] = mapped_column(String(30))
    rule_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    tie_break: Mapped[dict] = mapped_column(JSON, default=dict)
    engine_version: Mapped[str] = mapped_column(String(40))
    ballot_count: Mapped[int] = mapped_column(Integer)
    ballots_sha256: Mapped[str] = mapped_column(String(64))
    budget: Mapped[int] = mapped_column(BigInteger)
    spent: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[dict] = mapped_column(JSON)  # Result.to_dict() of the engine
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship()

    @property
    def remaining(self) -> int:
        return self.budget - self.spent
