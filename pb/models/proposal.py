"""Project proposals put forward for a round, their costs and their history."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import DomainError
from ..extensions import db
from ..text import InLanguage
from .council import Area, Partnership
from .photo import Photo
from .round import Round
from .types import UTCDateTime, utcnow
from .user import User

DRAFT = "draft"
SUBMITTED = "submitted"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
SHORTLISTED = "shortlisted"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
STATUSES = (DRAFT, SUBMITTED, CHANGES_REQUESTED, APPROVED, SHORTLISTED, REJECTED, WITHDRAWN)
STATUS_LABELS = {
    DRAFT: _l("Draft, not sent yet"),
    SUBMITTED: _l("Waiting for review"),
    CHANGES_REQUESTED: _l("Changes asked for"),
    APPROVED: _l("Approved, not yet on the ballot"),
    SHORTLISTED: _l("On the ballot"),
    REJECTED: _l("Not on the ballot"),
    WITHDRAWN: _l("Withdrawn"),
}
# The proposer may change the proposal only in these states.
EDITABLE = (DRAFT, CHANGES_REQUESTED)
# Shown to the public (drafts and withdrawn proposals are not).
PUBLIC = (SUBMITTED, CHANGES_REQUESTED, APPROVED, SHORTLISTED, REJECTED)

PROPOSER_TYPES = {
    "partnership": _l("Neighbourhood partnership"),
    "community_group": _l("Community group"),
    "cic": _l("Community interest company"),
    "resident": _l("Resident"),
}

CATEGORIES = {
    "health": _l("Health and wellbeing"),
    "older_people": _l("Older people"),
    "children": _l("Children and families"),
    "green": _l("Green spaces"),
    "community": _l("Community and culture"),
}

SUMMARY_MAX = 280
MAX_COST_LINES = 20

EVENT_LABELS = {
    "created": _l("Draft saved"),
    "edited": _l("Changed by the proposer"),
    "submitted": _l("Sent for review"),
    "approved": _l("Approved"),
    "changes_requested": _l("Changes asked for"),
    "rejected": _l("Not put on the ballot"),
    "cost_adjusted": _l("Amount changed by the organisers"),
    "shortlisted": _l("Put on the ballot"),
    "unshortlisted": _l("Taken off the ballot"),
    "withdrawn": _l("Withdrawn by the proposer"),
}


class Proposal(db.Model):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnerships.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    # True when the project serves every area of the round rather than one.
    whole_round: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposer_type: Mapped[str] = mapped_column(String(30), default="partnership")
    proposer_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # What the project costs on the ballot, in minor units; None only in a draft.
    cost: Mapped[int | None] = mapped_column(BigInteger)
    # What the proposer asked for, when the organisers have changed the amount.
    requested_cost: Mapped[int | None] = mapped_column(BigInteger)
    category: Mapped[str | None] = mapped_column(String(60))
    contact: Mapped[str] = mapped_column(String(254), default="")
    easy_read_summary: Mapped[str] = mapped_column(Text, default="")
    easy_read_summary_cy: Mapped[str] = mapped_column(Text, default="")
    title_cy: Mapped[str] = mapped_column(String(200), default="")
    summary_cy: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    illustrative: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    # The project's id in the file it was imported from (pb import), kept for exports.
    external_id: Mapped[str | None] = mapped_column(String(80))
    moderation_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    round: Mapped[Round] = relationship(back_populates="proposals")
    partnership: Mapped[Partnership | None] = relationship()
    area: Mapped[Area | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    photo: Mapped[Photo | None] = relationship()
    cost_lines: Mapped[list[ProposalCostLine]] = relationship(
        back_populates="proposal", order_by="ProposalCostLine.position",
        cascade="all, delete-orphan")
    events: Mapped[list[ProposalEvent]] = relationship(
        back_populates="proposal", order_by="ProposalEvent.id", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def category_label(self) -> str:
        return str(CATEGORIES.get(self.category, self.category or ""))

    @property
    def proposer_type_label(self) -> str:
        return str(PROPOSER_TYPES.get(self.proposer_type, self.proposer_type))

    @property
    def ref(self) -> str:
        """The stable identifier used on ballots and in results and exports."""
        return str(self.id)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    # The text a proposer writes is in English, with optional Welsh versions. Each of these gives
    # the Welsh where the page is Welsh and one was given, else the English, and says which.
    def title_in(self, locale: str | None) -> InLanguage:
        return _in(locale, self.title, self.title_cy)

    def summary_in(self, locale: str | None) -> InLanguage:
        return _in(locale, self.summary, self.summary_cy)

    def easy_read_summary_in(self, locale: str | None) -> InLanguage:
        """The Easy Read summary for this language; empty if the proposer gave none."""
        return _in(locale, self.easy_read_summary, self.easy_read_summary_cy)

    def _move(self, allowed: tuple[str, ...], to: str, message) -> str:
        if self.status not in allowed:
            raise DomainError(str(message))
        before, self.status = self.status, to
        return before

    def submit(self) -> str:
        before = self._move(EDITABLE, SUBMITTED,
                            _l("Only a draft, or a proposal asked to change, can be sent."))
        self.submitted_at = utcnow()
        return before

    def approve(self) -> str:
        return self._move((SUBMITTED, REJECTED), APPROVED,
                          _l("Only a proposal waiting for review can be approved."))

    def ask_for_changes(self, note: str) -> str:
        if not note.strip():
            raise DomainError(str(_l("Say what should change.")), field="note")
        before = self._move((SUBMITTED, APPROVED, SHORTLISTED), CHANGES_REQUESTED,
                            _l("Changes can be asked for only on a proposal under review."))
        self.moderation_note = note.strip()
        return before

    def reject(self, reason: str) -> str:
        if not reason.strip():
            raise DomainError(str(_l("Say why, so the proposer knows.")), field="reason")
        before = self._move((SUBMITTED, CHANGES_REQUESTED, APPROVED, SHORTLISTED), REJECTED,
                            _l("Only a proposal under review can be rejected."))
        self.moderation_note = reason.strip()
        return before

    def shortlist(self) -> str:
        return self._move((APPROVED,), SHORTLISTED,
                          _l("Approve a proposal before putting it on the ballot."))

    def unshortlist(self) -> str:
        return self._move((SHORTLISTED,), APPROVED, _l("This proposal is not on the ballot."))

    def withdraw(self) -> str:
        return self._move((DRAFT, SUBMITTED, CHANGES_REQUESTED, APPROVED, SHORTLISTED), WITHDRAWN,
                          _l("This proposal can no longer be withdrawn."))


def _in(locale: str | None, english: str, welsh: str) -> InLanguage:
    if str(locale) == "cy" and welsh:
        return InLanguage(welsh, "cy")
    return InLanguage(english or "", "en")


class ProposalCostLine(db.Model):
    """One line of a proposal's cost breakdown; the lines add up to the amount requested."""

    __tablename__ = "proposal_cost_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"),
                                             index=True)
    position: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)

    proposal: Mapped[Proposal] = relationship(back_populates="cost_lines")


class ProposalEvent(db.Model):
    """A step in a proposal's history, shown to its proposer."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"),
                                             index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[int | None] = mapped_column(BigInteger)

    proposal: Mapped[Proposal] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))
