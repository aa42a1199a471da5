"""Budgeting rounds: the pot, the phases, and the ballot and allocation settings."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..errors import DomainError
from ..extensions import db
from .council import Area, Council, Partnership
from .types import UTCDateTime, utcnow

DRAFT = "draft"
PROPOSALS = "proposals"
REVIEW = "review"
VOTING = "voting"
CLOSED = "closed"
PUBLISHED = "published"
STATUSES = (DRAFT, PROPOSALS, REVIEW, VOTING, CLOSED, PUBLISHED)
DEFAULT_RETENTION_DAYS = 90
MAX_RETENTION_DAYS = 730
# Before voting opens the ballot, the rule and the pot may change; from then on they are fixed.
BEFORE_VOTING = (DRAFT, PROPOSALS, REVIEW)

STATUS_LABELS = {
    DRAFT: _l("Being set up"),
    PROPOSALS: _l("Taking proposals"),
    REVIEW: _l("Proposals being reviewed"),
    VOTING: _l("Voting open"),
    CLOSED: _l("Voting closed, results being checked"),
    PUBLISHED: _l("Results published"),
}


# Every ballot type of the tally engine has a ballot page.
BALLOT_TYPES = {
    "approval": _l("Residents choose as many projects as they like"),
    "knapsack": _l("Residents choose projects up to a spending limit"),
    "choose-one": _l("Residents choose one project"),
    "ranking": _l("Residents put their favourite projects in order"),
    "scoring": _l("Residents give each project a score"),
    "points": _l("Residents share out a number of points between projects"),
}
# How residents show they may vote; a round may offer several at once.
VOTING_METHODS = {
    "codes": _l("Voting codes, printed on cards with a QR code"),
    "email": _l("A link sent by email: residents give their email address and postcode"),
    "postcode": _l("Open online vote: residents give their postcode and confirm they may vote"),
    "kiosk": _l("At an event, on a phone or tablet a volunteer sets up"),
}
RULES = {
    "greedy": _l("Most votes first: each project is funded in turn if it still fits in what is "
                 "left"),
    "greedy-no-skip": _l("Most votes first, stopping at the first project that does not fit"),
    "greedy-threshold": _l("Most votes first, but only projects backed by at least a set share "
                           "of voters"),
    "equal-shares": _l("Equal shares: each voter gets an equal part of the pot to spend on the "
                       "projects they chose"),
    "phragmen": _l("Phragmén: spreads funding so that as many voters as possible see a project "
                   "they backed funded"),
}
TIE_BREAKS = {
    "chain": _l("Lowest cost first, then most votes, then by lot from a published seed"),
    "refuse": _l("Do not decide: stop the count so that the organisers settle the tie"),
}
# What cannot change once voting has opened.
FROZEN_FIELDS = ("pot", "currency", "ballot_type", "ballot_settings", "rule", "rule_settings",
                 "tie_break", "allow_vote_change", "voting_methods", "eligible_districts",
                 "min_age")

round_areas = db.Table(
    "round_areas",
    Column("round_id", ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


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

    # The amount one project may ask for: None means no lower or upper limit but the pot.
    award_min: Mapped[int | None] = mapped_column(BigInteger)
    award_max: Mapped[int | None] = mapped_column(BigInteger)
    # Category keys (see pb.models.proposal.CATEGORIES) or labels the organiser typed.
    categories: Mapped[list] = mapped_column(JSON, default=list)

    # The published timetable; the organiser moves the round from phase to phase.
    proposals_open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposals_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shortlist_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voting_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voting_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    # Who may vote and how: see VOTING_METHODS. Postcode districts (outward codes) checked
    # wherever a resident gives a postcode; empty means the round's own postcode-district areas.
    voting_methods: Mapped[list] = mapped_column(JSON, default=lambda: ["codes"],
                                                 server_default='["codes"]')
    eligible_districts: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    min_age: Mapped[int | None] = mapped_column(Integer)
    # Offer the optional equality-monitoring questions after a ballot is cast.
    equality_questions: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())
    # Personal data (equality answers, email and postcode credentials, voting emails) is kept
    # this many days after the results are published (or after voting closed, for a round
    # never published); then `pb purge` deletes it. See pb.services.privacy.
    personal_data_retention_days: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_RETENTION_DAYS, server_default=str(DEFAULT_RETENTION_DAYS))
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The equality answers' totals by question, kept when the answers themselves are purged,
    # so the published (suppressed) totals stay as they were: {question: {answer: count}}.
    equality_counts: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    council: Mapped[Council] = relationship()
    partnership: Mapped[Partnership | None] = relationship()
    proposals: Mapped[list["Proposal"]] = relationship(  # noqa: F821
        back_populates="round", order_by="Proposal.id"
    )
    areas: Mapped[list[Area]] = relationship(secondary=round_areas, order_by="Area.name")

    @property
    def settings_frozen(self) -> bool:
        return self.status not in BEFORE_VOTING

    @property
    def is_taking_proposals(self) -> bool:
        return self.status == PROPOSALS

    def areas_in_play(self) -> list[Area]:
        """The areas proposals may name: those chosen, else every area of the partnership(s)."""
        if self.areas:
            return list(self.areas)
        partnerships = [self.partnership] if self.partnership else self.council.partnerships
        return sorted((a for p in partnerships for a in p.areas), key=lambda a: a.name)

    def category_choices(self) -> list[tuple[str, str]]:
        from .proposal import CATEGORIES

        keys = self.categories or list(CATEGORIES)
        return [(k, str(CATEGORIES.get(k, k))) for k in keys]

    def timetable(self) -> list[tuple[str, datetime]]:
        """(phase, date) pairs the organiser has set, in order."""
        phases = [
            (_l("Proposals open"), self.proposals_open_at),
            (_l("Proposals close and review begins"), self.proposals_close_at),
            (_l("Shortlist announced"), self.shortlist_at),
            (_l("Voting opens"), self.voting_opens_at),
            (_l("Voting closes"), self.voting_closes_at),
            (_l("Results published"), self.results_at),
            (_l("Projects delivered by"), self.delivery_by),
        ]
        return [(str(label), when) for label, when in phases if when is not None]
    def uses(self, method: str) -> bool:
        return method in (self.voting_methods or [])

    def eligible_postcode_districts(self) -> list[str]:
        """Outward codes whose residents may vote; empty means anyone with a UK postcode."""
        if self.eligible_districts:
            return list(self.eligible_districts)
        return sorted({a.name.upper() for a in self.areas_in_play() if a.kind == "postcode_district"})

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def before_close(self) -> bool:
        """Voting has not closed yet: codes made now can still be used."""
        return self.status in (*BEFORE_VOTING, VOTING)

    @property
    def is_voting_open(self) -> bool:
        return self.status == VOTING

    @property
    def results_public(self) -> bool:
        return self.status == PUBLISHED

    @property
    def retention_starts_at(self) -> datetime | None:
        """When the retention period starts: when the results were published, or, for a round
        whose results are not published, when voting closed. None while voting may go on."""
        if self.status == PUBLISHED and self.published_at is not None:
            return self.published_at
        if self.status in (CLOSED, PUBLISHED):
            return self.voting_closed_at
        return None

    @property
    def personal_data_due_at(self) -> datetime | None:
        """When the round's personal data is to be deleted (None until voting has closed)."""
        start = self.retention_starts_at
        if start is None:
            return None
        return start + timedelta(days=self.personal_data_retention_days or 0)

    def _require(self, *allowed: str, message: str) -> None:
        if self.status not in allowed:
            raise DomainError(message)

    def open_proposals(self) -> None:
        self._require(DRAFT, REVIEW,
                      message=str(_l("Only a round before voting can start taking proposals.")))
        self.status = PROPOSALS

    def close_proposals(self) -> None:
        self._require(PROPOSALS, message=str(_l("The round is not taking proposals.")))
        self.status = REVIEW

    def open_voting(self, seed: str) -> None:
        self._require(
            *BEFORE_VOTING, message=str(_l("Voting can only open before it has opened once."))
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
