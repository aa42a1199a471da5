"""A round's life: set up, take proposals, open voting, close and count, publish."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from dataclasses import dataclass, field
from datetime import datetime

from ..errors import DomainError, Refused
from ..extensions import db
from ..text import clean_fields, slugify
from ..models import Area, Ballot, Council, Partnership, Proposal, Round, TallyResult, User
from ..models.round import (BALLOT_TYPES, DEFAULT_RETENTION_DAYS, FROZEN_FIELDS, MAX_RETENTION_DAYS,
                           RULES, TIE_BREAKS, VOTING_METHODS)
from ..models.user import COUNCIL_ADMIN, ORGANISER
from ..money import format_money
from ..tally import TieError
from ..models.proposal import SHORTLISTED
from . import access, audit, codes, tallying
from .ballots import DEFAULT_SCORE
from .partnerships import OUTWARD_CODE

MAX_POINTS = 1000  # most points a resident may share out on a points ballot


def open_voting(user: User | None, round_: Round) -> None:
    """Open voting; the ballot is fixed from now on."""
    if user is not None:
        access.require_organiser(user, round_)
    on_ballot = db.session.scalar(
        select(func.count()).select_from(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.status == SHORTLISTED)
    )
    if not on_ballot:
        raise DomainError(str(_l("Put at least one proposal on the ballot before opening "
                                 "voting.")))
    round_.open_voting(seed=secrets.token_hex(8))
    audit.record(user, "round.voting_opened", round_, projects=on_ballot,
                 ballot_type=round_.ballot_type, rule=round_.rule,
                 rule_settings=round_.rule_settings, tie_break=round_.tie_break,
                 seed=round_.tie_break_seed)


def close_voting(user: User | None, round_: Round) -> TallyResult | None:
    """Close voting and count the ballots; results stay with staff until published.

    Where the round's tie-break is "refuse" and a tie decides the outcome, voting still
    closes but there is no count (None): the organiser settles the tie (`count_by_lot`).
    """
    if user is not None:
        access.require_organiser(user, round_)
    round_.close_voting()
    codes.drop_card_files(user, round_)  # the printed codes are no use now; nor is the file
    try:
        result = tallying.tally_round(round_)
    except TieError as tie:
        audit.record(user, "round.count_stopped_on_tie", round_, tied=tie.tied, step=tie.step)
        return None
    audit.record(user, "round.voting_closed", round_, ballots=result.ballot_count,
                 spent=result.spent, ballots_sha256=result.ballots_sha256)
    return result


def stopping_tie(round_: Round) -> list[Proposal] | None:
    """The projects whose tie stopped the count of a closed round, or None."""
    if round_.status != "closed" or tallying.latest_result(round_) is not None:
        return None
    try:
        tallying.tally_round(round_, store=False)
    except TieError as tie:
        return [db.session.get(Proposal, int(pid)) for pid in tie.tied]
    return None


def count_by_lot(user: User | None, round_: Round) -> TallyResult:
    """Settle a tie that stopped the count: count again, ties broken by the published chain
    (lowest cost, then most votes, then lot from the round's seed)."""
    if user is not None:
        access.require_organiser(user, round_)
    if round_.status != "closed" or tallying.latest_result(round_) is not None:
        raise DomainError(str(_l("This round's count did not stop on a tie.")))
    round_.tie_break = "chain"
    result = tallying.tally_round(round_)
    audit.record(user, "round.tie_broken_by_lot", round_, seed=round_.tie_break_seed,
                 ballots=result.ballot_count, spent=result.spent,
                 ballots_sha256=result.ballots_sha256)
    return result


def publish_results(user: User | None, round_: Round) -> None:
    """Make the counted result public."""
    if user is not None:
        access.require_organiser(user, round_)
    if tallying.latest_result(round_) is None:
        raise DomainError(str(_l("There is no count to publish yet.")))
    round_.publish()
    audit.record(user, "round.results_published", round_)


def ballot_count(round_: Round) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.round_id == round_.id,
                                                      Ballot.superseded_at.is_(None))
    ) or 0


@dataclass
class RoundInput:
    """A round's settings as the organiser gave them; amounts in minor units."""

    title: str
    pot: int | None
    currency: str = "GBP"
    slug: str = ""
    description: str = ""
    partnership_id: int | None = None  # None: the whole council
    award_min: int | None = None
    award_max: int | None = None
    categories: list[str] = field(default_factory=list)
    area_ids: list[int] = field(default_factory=list)
    dates: dict[str, datetime | None] = field(default_factory=dict)
    ballot_type: str = "approval"
    ballot_settings: dict = field(default_factory=dict)
    rule: str = "greedy"
    rule_settings: dict = field(default_factory=dict)
    tie_break: str = "chain"
    allow_vote_change: bool = False
    voting_methods: list[str] = field(default_factory=lambda: ["codes"])
    eligible_districts: list[str] = field(default_factory=list)  # outward codes, checked
    min_age: int | None = None
    equality_questions: bool = False
    personal_data_retention_days: int | None = DEFAULT_RETENTION_DAYS

    def __post_init__(self) -> None:
        clean_fields(self)


DATE_FIELDS = ("proposals_open_at", "proposals_close_at", "shortlist_at", "voting_opens_at",
               "voting_closes_at", "results_at", "delivery_by")
CURRENCIES = ("GBP", "EUR")


def organising_scopes(user: User) -> list[tuple[Council, Partnership | None]]:
    """Where `user` may create rounds: whole councils, or single partnerships."""
    scopes: dict[tuple[int, int | None], tuple[Council, Partnership | None]] = {}
    for m in user.memberships:
        if m.role not in (COUNCIL_ADMIN, ORGANISER):
            continue
        if m.partnership_id is None:
            scopes[(m.council_id, None)] = (m.council, None)
            for p in m.council.partnerships:
                scopes[(m.council_id, p.id)] = (m.council, p)
        else:
            scopes[(m.council_id, m.partnership_id)] = (m.council, m.partnership)
    return sorted(scopes.values(), key=lambda s: (s[0].name, s[1].name if s[1] else ""))


def create_round(user: User, council: Council, data: RoundInput) -> Round:
    """Set up a new round, ready to take proposals."""
    partnership = db.session.get(Partnership, data.partnership_id) if data.partnership_id else None
    if (council, partnership) not in organising_scopes(user):
        raise DomainError(str(_l("Choose a partnership you organise.")), field="partnership")
    round_ = Round(council=council, partnership=partnership, status="draft")
    round_.slug = _unique_slug(data.slug or data.title)
    _validate(round_, data)
    _apply_open_settings(round_, data)
    _apply_frozen_settings(round_, data)
    db.session.add(round_)
    db.session.flush()
    audit.record(user, "round.created", round_, **_settings_of(round_),
                 personal_data_retention_days=round_.personal_data_retention_days)
    return round_


def update_round(user: User, round_: Round, data: RoundInput) -> Round:
    """Change a round's settings; once voting has opened the pot, ballot and rule stay fixed."""
    access.require_organiser(user, round_)
    if round_.settings_frozen:
        attempted = {k: v for k, v in _settings_of_input(data).items()
                     if v != _settings_of(round_)[k]}
        if attempted:
            field_name = next(iter(attempted))
            raise Refused(
                str(_l("Voting has opened, so the pot, the ballot and how the money is shared "
                       "cannot change. Nothing was saved.")),
                field=field_name,
                audit=(user, "round.change_refused", round_,
                       {"fields": sorted(attempted), "attempted": attempted}))
    _validate(round_, data)
    before = {**_settings_of(round_),
              "personal_data_retention_days": round_.personal_data_retention_days}
    _apply_open_settings(round_, data)
    if not round_.settings_frozen:
        _apply_frozen_settings(round_, data)
    after = {**_settings_of(round_),
             "personal_data_retention_days": round_.personal_data_retention_days}
    changed = {k: after[k] for k in after if after[k] != before[k]}
    audit.record(user, "round.updated", round_, changed=changed,
                 title=round_.title, dates={k: _iso(getattr(round_, k)) for k in DATE_FIELDS})
    return round_


def open_proposals(user: User, round_: Round) -> None:
    """Start taking proposals."""
    access.require_organiser(user, round_)
    round_.open_proposals()
    audit.record(user, "round.proposals_opened", round_)


def close_proposals(user: User, round_: Round) -> None:
    """Stop taking proposals, so the organisers can review and shortlist them."""
    access.require_organiser(user, round_)
    round_.close_proposals()
    audit.record(user, "round.proposals_closed", round_)


def _validate(round_: Round, data: RoundInput) -> None:
    if not data.title.strip():
        raise DomainError(str(_l("Enter a name for the round.")), field="title")
    if data.pot is None or data.pot <= 0:
        raise DomainError(str(_l("Enter the pot: the amount to share out.")), field="pot")
    if data.currency not in CURRENCIES:
        raise DomainError(str(_l("Choose a currency from the list.")), field="currency")
    if data.award_min is not None and data.award_min <= 0:
        raise DomainError(str(_l("Enter a smallest amount more than zero, or leave it empty.")),
                          field="award_min")
    if data.award_max is not None and data.award_max > data.pot:
        raise DomainError(str(_l("The largest amount cannot be more than the pot of %(pot)s.",
                                 pot=format_money(data.pot, data.currency))), field="award_max")
    if data.award_min is not None and data.award_min > (data.award_max or data.pot):
        raise DomainError(str(_l("The smallest amount must not be more than the largest.")),
                          field="award_min")
    if data.ballot_type not in BALLOT_TYPES:
        raise DomainError(str(_l("Choose a kind of ballot from the list.")), field="ballot_type")
    if data.rule not in RULES:
        raise DomainError(str(_l("Choose how the money is shared.")), field="rule")
    if data.tie_break not in TIE_BREAKS:
        raise DomainError(str(_l("Choose how ties are settled.")), field="tie_break")
    if data.rule == "greedy-threshold" and not data.rule_settings.get("threshold_percent"):
        raise DomainError(str(_l("Enter the share of voters a project needs, from 1 to 100.")),
                          field="threshold_percent")
    limit = data.ballot_settings.get("budget_limit")
    if data.ballot_type == "knapsack" and limit is not None and not 0 < limit <= data.pot:
        raise DomainError(str(_l("The spending limit must be more than zero and no more than the "
                                 "pot.")), field="budget_limit")
    low, high = data.ballot_settings.get("min_choices"), data.ballot_settings.get("max_choices")
    if low is not None and high is not None and low > high:
        raise DomainError(str(_l("The fewest projects to choose must not be more than the most.")),
                          field="min_choices")
    _validate_ballot_settings(data)
    if not data.voting_methods or any(m not in VOTING_METHODS for m in data.voting_methods):
        raise DomainError(str(_l("Choose at least one way for residents to vote.")),
                          field="voting_methods")
    if any(not isinstance(c, str) or not OUTWARD_CODE.match(c) for c in data.eligible_districts):
        raise DomainError(str(_l("Enter the first part of a postcode, like SK10, M1 or EC1A, "
                                 "one on each line.")), field="eligible_districts")
    if data.min_age is not None and not 0 < data.min_age <= 25:
        raise DomainError(str(_l("Enter a minimum age from 1 to 25, or leave it empty.")),
                          field="min_age")
    days = data.personal_data_retention_days
    if days is None or not 1 <= days <= MAX_RETENTION_DAYS:
        raise DomainError(str(_l("Enter how many days to keep residents’ personal data, from 1 "
                                 "to %(most)s.", most=MAX_RETENTION_DAYS)),
                          field="personal_data_retention_days")
    allowed_areas = {a.id for a in _council_areas(round_, data)}
    if any(a not in allowed_areas for a in data.area_ids):
        raise DomainError(str(_l("Choose areas of this council's partnerships.")), field="areas")
    if any(len(c) > 60 or not c.strip() for c in data.categories):
        raise DomainError(str(_l("Keep each category to 60 characters or fewer.")),
                          field="categories")
    previous: tuple[str, datetime] | None = None
    for name in DATE_FIELDS:
        when = data.dates.get(name)
        if when is None:
            continue
        if previous is not None and when < previous[1]:
            raise DomainError(str(_l("This date comes before an earlier step of the timetable.")),
                              field=name)
        previous = (name, when)


def _validate_ballot_settings(data: RoundInput) -> None:
    """The settings of the chosen kind of ballot (see pb.services.ballots.BallotRules)."""
    settings = data.ballot_settings
    if data.ballot_type == "scoring":
        low, high = settings.get("min_points"), settings.get("max_points")
        low = DEFAULT_SCORE[0] if low is None else low
        high = DEFAULT_SCORE[1] if high is None else high
        if low < 0:
            raise DomainError(str(_l("The lowest score cannot be less than 0.")),
                              field="min_points")
        if high <= low:
            raise DomainError(str(_l("The highest score must be more than the lowest score "
                                     "(%(low)s).", low=low)), field="max_points")
    if data.ballot_type == "points":
        allowance = settings.get("max_total_points")
        if allowance is not None and not 1 <= allowance <= MAX_POINTS:
            raise DomainError(str(_l("Enter the number of points each resident shares out, "
                                     "from 1 to %(most)s.", most=f"{MAX_POINTS:,}")),
                              field="max_total_points")
    places = settings.get("max_choices")
    if data.ballot_type == "ranking" and places is not None and not 1 <= places <= 100:
        raise DomainError(str(_l("Enter a number of places from 1 to 100.")),
                          field="rank_places")


def _council_areas(round_: Round, data: RoundInput) -> list[Area]:
    council = round_.council
    if data.partnership_id:
        return [a for p in council.partnerships if p.id == data.partnership_id for a in p.areas]
    return [a for p in council.partnerships for a in p.areas]


def _apply_open_settings(round_: Round, data: RoundInput) -> None:
    round_.title = data.title.strip()
    round_.description = data.description.strip()
    round_.award_min = data.award_min
    round_.award_max = data.award_max
    round_.categories = [c.strip() for c in data.categories]
    round_.equality_questions = bool(data.equality_questions)
    round_.personal_data_retention_days = data.personal_data_retention_days
    round_.areas = [a for a in _council_areas(round_, data) if a.id in set(data.area_ids)]
    for name in DATE_FIELDS:
        setattr(round_, name, data.dates.get(name))


def _apply_frozen_settings(round_: Round, data: RoundInput) -> None:
    for name, value in _settings_of_input(data).items():
        setattr(round_, name, value)


def _settings_of(round_: Round) -> dict:
    return {name: getattr(round_, name) for name in FROZEN_FIELDS}


def _settings_of_input(data: RoundInput) -> dict:
    return {name: getattr(data, name) for name in FROZEN_FIELDS}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


# Words that name organiser pages beside /organise/<slug>, so no round may take them.
# Likewise the words of the voting pages beside /vote/<slug>, and of the council results
# pages beside /results/<slug> (/results/council/<council>).
RESERVED_SLUGS = {"partnerships", "rounds", "new", "ballot", "review", "submit", "done", "leave",
                  "receipt", "equality", "email", "postcode", "kiosk", "paper", "link", "council",
                  "audit"}


def _unique_slug(text: str) -> str:
    base = slugify(text, limit=60) or "round"
    if base in RESERVED_SLUGS:
        base = f"{base}-round"
    slug, n = base, 1
    while db.session.scalars(select(Round.id).where(Round.slug == slug)).first() is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug
