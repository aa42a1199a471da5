"""Voter credentials and ballots. A ballot holds no personal data."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .proposal import Proposal
from .round import Round
from .types import UTCDateTime, utcnow

CHANNELS = {
    "online": _l("Online"),
    "kiosk": _l("At an event"),
    "paper": _l("Paper"),
    "imported": _l("Imported"),
}

# How a resident proved they may vote. Codes are printed on cards; an email credential stands
# for one email address (only a keyed hash of it is kept); kiosk, postcode and paper credentials
# are made afresh for each ballot, so they only stop the same ballot being sent twice.
CREDENTIAL_KINDS = ("code", "email", "kiosk", "postcode", "paper", "imported")


class VoterCredential(db.Model):
    """What lets one ballot in. Only a hash of a code or an email address is kept."""

    __tablename__ = "voter_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="code", server_default="code")
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    batch: Mapped[str] = mapped_column(String(80), default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("code_batches.id"), index=True)
    # Email links: a hash of the nonce of the one link that still works; None once it is used.
    link_nonce_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()


class Ballot(db.Model):
    __tablename__ = "ballots"
    __table_args__ = (
        # The database itself guarantees one counted ballot per credential: a changed vote
        # marks the old ballot superseded in the same transaction as the new one goes in.
        Index(
            "uq_ballots_current_credential", "credential_id", unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("voter_credentials.id"))
    receipt: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(20), default="online")
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    # The outward part of the postcode (e.g. SK11) where the resident gave one: for turnout
    # by area. Never the full postcode.
    district: Mapped[str | None] = mapped_column(String(8))
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the resident voted again with the same credential; only the last ballot counts.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    choices: Mapped[list[BallotChoice]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", order_by="BallotChoice.position"
    )

    @property
    def counts(self) -> bool:
        return self.superseded_at is None


class BallotChoice(db.Model):
    """One project on a ballot: `value` is 1 for approval, the rank for ranking, else points."""

    __tablename__ = "ballot_choices"

    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order given; rank for ranking
    value: Mapped[int] = mapped_column(BigInteger, default=1)

    ballot: Mapped[Ballot] = relationship(back_populates="choices")
    proposal: Mapped[Proposal] = relationship()
