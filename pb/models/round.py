"""Budgeting rounds: the pot, the phases, and the ballot and allocation settings."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import DomainError
from ..extensions import db
from .council import Council, Partnership
from .types import UTCDateTime, utcnow

DRAFT = "draft"
PROPOSALS = "proposals"
VOTING = "voting"
CLOSED = "closed"
PUBLISHED = "published"
STATUSES = (DRAFT, PROPOSALS, VOTING, CLOSED, PUBLISHED)

STATUS_LABELS = {
    DRAFT: _l("Being set up"),
    PROPOSALS: _l("Taking proposals"),
    VOTING: _l("Voting open"),
    CLOSED: _l("Voting closed, results being checked"),
    PUBLISHED: _l("Results published"),
}


class Round(db.Model):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"), index=True)
    # None: a council-wide round open to every partnership of the council.
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnerships.id"))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    pot: Mapped[int] = mapped_column(BigInteger)  # minor units (pence)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)

    proposals_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voting_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voting_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voting_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voting_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ballot_type: Mapped[str] = mapped_column(String(20), default="approval")
    ballot_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    rule: Mapped[str] = mapped_column(String(30), default="greedy")
    rule_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    tie_break: Mapped[str] = mapped_column(String(10), default="chain")
    tie_break_seed: Mapped[str | None] = mapped_column(String(64))
    allow_vote_change: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    council: Mapped[Council] = relationship()
    partnership: Mapped[Partnership | None] = relationship()
    proposals: Mapped[list["Proposal"]] = relationship(  # noqa: F821
        back_populates="round", order_by="Proposal.id"
    )

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_voting_open(self) -> bool:
        return self.status == VOTING

    @property
    def results_public(self) -> bool:
        return self.status == PUBLISHED

    def _require(self, *allowed: str, message: str) -> None:
        if self.status not in allowed:
            raise DomainError(message)

    def open_proposals(self) -> None:
        self._require(DRAFT, message=str(_l("Only a round being set up can start taking proposals.")))
        self.status = PROPOSALS

    def open_voting(self, seed: str) -> None:
        self._require(
            DRAFT, PROPOSALS, message=str(_l("Voting can only open before it has opened once."))
        )
        self.status = VOTING
        self.voting_opened_at = utcnow()
        self.tie_break_seed = seed

    def close_voting(self) -> None:
        self._require(VOTING, message=str(_l("Voting is not open, so it cannot be closed.")))
        self.status = CLOSED
        self.voting_closed_at = utcnow()

    def publish(self) -> None:
        self._require(CLOSED, message=str(_l("Results can only be published after voting closes.")))
        self.status = PUBLISHED
        self.published_at = utcnow()
