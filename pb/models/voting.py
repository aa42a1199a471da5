"""Voter credentials and ballots. A ballot holds no personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .proposal import Proposal
from .round import Round
from .types import UTCDateTime, utcnow

CHANNELS = ("online", "kiosk", "paper", "imported")


class VoterCredential(db.Model):
    """A single-use voting code. Only a hash of the code is kept."""

    __tablename__ = "voter_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    batch: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()


class Ballot(db.Model):
    __tablename__ = "ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    # Unique: the database itself guarantees one ballot per credential.
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("voter_credentials.id"), unique=True
    )
    receipt: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(20), default="online")
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship()
    choices: Mapped[list[BallotChoice]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", order_by="BallotChoice.position"
    )


class BallotChoice(db.Model):
    """One project on a ballot: `value` is 1 for approval, else points or score."""

    __tablename__ = "ballot_choices"

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order given; rank for ranking
    value: Mapped[int] = mapped_column(BigInteger, default=1)

    ballot: Mapped[Ballot] = relationship(back_populates="choices")
    proposal: Mapped[Proposal] = relationship()
