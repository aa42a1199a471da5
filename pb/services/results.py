"""What a round's result says, and who may see it.

This module is the one place the embargo is decided: every page, API route and export asks
`visible_result` (or `public_result`) for the count, and gets None until the organiser
publishes, unless the person asking is staff of the round. Everything else here turns a
stored `TallyResult` into the lines, totals and turnout that pages and downloads show.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import Ballot, Council, EqualityResponse, Proposal, Round, TallyResult, User
from ..models.equality import PREFER_NOT, QUESTIONS
from ..models.round import PUBLISHED, RULES
from ..models.voting import CHANNELS
from ..tally.model import decode_number
from . import access, tallying

# Equality-monitoring groups smaller than this are shown as "fewer than 10", never as a number.
SUPPRESS_BELOW = 10
NOT_GIVEN = "not-given"


def visible_result(user: User | None, round_: Round) -> TallyResult | None:
    """The round's count if this person may see it: everyone once published, staff before."""
    if not round_.results_public and not access.can_see_unpublished(user, round_):
        return None
    return tallying.latest_result(round_)


def public_result(round_: Round) -> TallyResult | None:
    """The round's count if it is published, for anyone (the API, public downloads)."""
    return visible_result(None, round_)


def published_rounds(council: Council | None = None) -> list[Round]:
    """Rounds whose results are public, newest publication first."""
    query = select(Round).where(Round.status == PUBLISHED)
    if council is not None:
        query = query.where(Round.council_id == council.id)
    return list(db.session.scalars(query.order_by(Round.published_at.desc(), Round.id.desc())))


def visible_rounds(user: User | None, council: Council) -> list[Round]:
    """A council's rounds with a count this person may see (published, or staff's closed)."""
    rounds_ = db.session.scalars(
        select(Round).where(Round.council_id == council.id, Round.status.in_(("closed", PUBLISHED)))
        .order_by(Round.id))
    return [r for r in rounds_ if visible_result(user, r) is not None]


@dataclass
class Line:
    """One project of a result, as residents and councils read it."""

    id: str  # the engine's project id: the proposal id as text
    proposal: Proposal | None
    title: str
    area: str
    category: str
    cost: int
    votes: int
    score: Fraction | int
    selected: bool
    award: int
    partial: bool
    step: int | None
    reason: dict  # {"code", "params"} as stored


@dataclass
class Count:
    key: str
    label: str
    count: int


@dataclass
class Turnout:
    total: int
    by_channel: list[Count]
    by_area: list[Count]


@dataclass
class EqualityGroup:
    key: str  # the answer's value, PREFER_NOT or NOT_GIVEN
    label: str
    count: int | None  # None: fewer than SUPPRESS_BELOW, not shown

    @property
    def shown(self) -> str:
        return str(self.count) if self.count is not None else _("fewer than %(num)s",
                                                                 num=SUPPRESS_BELOW)


@dataclass
class EqualityQuestion:
    key: str
    label: str
    groups: list[EqualityGroup]


@dataclass
class Sheet:
    """A round's result with everything a results page or download shows."""

    round: Round
    result: TallyResult
    lines: list[Line]
    turnout: Turnout
    published: bool
    names: dict[str, str] = field(default_factory=dict)

    @property
    def funded(self) -> list[Line]:
        return [line for line in self.lines if line.selected]

    @property
    def rule_label(self) -> str:
        return rule_label(self.result.rule)

    @property
    def score_kind(self) -> str:
        """What the score counts: "votes" for approval-like ballots, else "points"."""
        return "points" if self.round.ballot_type in ("ranking", "scoring", "points") else "votes"


def rule_label(rule: str) -> str:
    return str(RULES.get(rule, rule))


def sheet_for(user: User | None, round_: Round) -> Sheet | None:
    """The result sheet this person may see, or None (no count yet, or under embargo)."""
    result = visible_result(user, round_)
    return build_sheet(round_, result) if result is not None else None


def build_sheet(round_: Round, result: TallyResult) -> Sheet:
    proposals = {str(p.id): p for p in db.session.scalars(
        select(Proposal).where(Proposal.round_id == round_.id))}
    categories = dict(round_.category_choices())
    lines = []
    for row in result.data["projects"]:
        proposal = proposals.get(row["id"])
        lines.append(Line(
            id=row["id"], proposal=proposal,
            title=proposal.title if proposal else (row.get("name") or row["id"]),
            area=proposal.area.name if proposal and proposal.area else "",
            category=str(categories.get(proposal.category, proposal.category or ""))
            if proposal else "",
            cost=row["cost"], votes=row["votes"], score=decode_number(row["score"]),
            selected=row["selected"], award=row["award"] if row["selected"] else 0,
            partial=row.get("partial", False), step=row.get("step"), reason=row["reason"]))
    return Sheet(round=round_, result=result, lines=lines, turnout=turnout(round_),
                 published=round_.results_public,
                 names={line.id: line.title for line in lines})


def turnout(round_: Round) -> Turnout:
    """Ballots that count, by way of voting and by the postcode district voters gave."""
    rows = db.session.execute(
        select(Ballot.channel, Ballot.district, func.count())
        .where(Ballot.round_id == round_.id, Ballot.superseded_at.is_(None))
        .group_by(Ballot.channel, Ballot.district)).all()
    channels: Counter = Counter()
    areas: Counter = Counter()
    for channel, district, count in rows:
        channels[channel] += count
        areas[district or NOT_GIVEN] += count
    by_channel = [Count(key, str(label), channels[key]) for key, label in CHANNELS.items()
                  if channels[key]]
    by_channel += [Count(key, key, n) for key, n in sorted(channels.items()) if key not in CHANNELS]
    by_area = [Count(key, key, n) for key, n in sorted(areas.items()) if key != NOT_GIVEN]
    if areas[NOT_GIVEN]:
        by_area.append(Count(NOT_GIVEN, _("No postcode given (codes, events and paper)"),
                             areas[NOT_GIVEN]))
    return Turnout(total=sum(channels.values()), by_channel=by_channel, by_area=by_area)


def ballots_cast(round_: Round) -> int:
    """Ballots that count so far: shown on the live screen while voting is open."""
    return db.session.scalar(
        select(func.count()).select_from(Ballot)
        .where(Ballot.round_id == round_.id, Ballot.superseded_at.is_(None))) or 0


def equality_totals(round_: Round) -> list[EqualityQuestion]:
    """Answers to the optional equality questions, any group under 10 suppressed.

    Groups of 1 to 9 are shown as "fewer than 10"; none (0) is shown as it is. Where only one
    group of a question would be hidden, the next smallest is hidden as well, so that no hidden
    number follows from the total and the rest.
    """
    totals = _equality_counts(round_)
    out = []
    for key, (label, answers) in QUESTIONS.items():
        counts = totals[key]
        groups = [(value, str(text), counts[value]) for value, text in answers.items()]
        groups.append((PREFER_NOT, _("Prefer not to say"), counts[PREFER_NOT]))
        groups.append((NOT_GIVEN, _("Not answered"), counts[NOT_GIVEN]))
        hidden = {i for i, (_key, _text, n) in enumerate(groups) if 0 < n < SUPPRESS_BELOW}
        if len(hidden) == 1:
            # One hidden group could be worked out from the total and the others: hide the
            # next smallest group too.
            others = [(n, i) for i, (_key, _text, n) in enumerate(groups) if n and i not in hidden]
            if others:
                hidden.add(min(others)[1])
        out.append(EqualityQuestion(key, str(label), [
            EqualityGroup(value, text, None if i in hidden else n)
            for i, (value, text, n) in enumerate(groups)]))
    return out


def _equality_counts(round_: Round) -> dict[str, Counter]:
    """{question: Counter(answer: n)}, from the answers, or from the totals kept on the round
    when its answers were deleted after the retention period (see pb.services.privacy)."""
    counts = {key: Counter() for key in QUESTIONS}
    for key, kept in (round_.equality_counts or {}).items():
        if key in counts:
            counts[key].update({value or NOT_GIVEN: n for value, n in kept.items()})
    for response in db.session.scalars(
            select(EqualityResponse).where(EqualityResponse.round_id == round_.id)):
        for key in QUESTIONS:
            counts[key][getattr(response, key) or NOT_GIVEN] += 1
    return counts


def equality_asked(round_: Round) -> bool:
    """The round asks the equality questions, or holds answers from when it did."""
    return bool(round_.equality_questions or equality_response_count(round_))


def equality_dict(round_: Round) -> dict | None:
    """The equality totals as JSON (the API's and the JSON download's), any group under 10
    with a null count; None if the round never asked the questions."""
    if not equality_asked(round_):
        return None
    return {"suppressed_below": SUPPRESS_BELOW, "questions": [
        {"key": q.key, "label": q.label,
         "groups": [{"key": g.key, "label": g.label, "count": g.count, "shown": g.shown}
                    for g in q.groups]}
        for q in equality_totals(round_)]}


def equality_response_count(round_: Round) -> int:
    """Sets of answers given, counting those whose answers were deleted after the retention
    period (every set answers each question, if only with "not answered")."""
    kept = (round_.equality_counts or {}).get(next(iter(QUESTIONS)), {})
    return sum(kept.values()) + (db.session.scalar(
        select(func.count()).select_from(EqualityResponse)
        .where(EqualityResponse.round_id == round_.id)) or 0)


def reason_text(sheet: Sheet, line: Line) -> str:
    """The plain-words reason for one project, naming other projects by title."""
    from ..views_helpers import explain

    return explain(line.reason, sheet.round.currency, sheet.names)


def sheet_dict(sheet: Sheet) -> dict:
    """The sheet as plain JSON: the API's and the JSON download's body (money in minor units)."""
    round_, result = sheet.round, sheet.result
    return {
        "round": {
            "slug": round_.slug,
            "title": round_.title,
            "council": round_.council.name,
            "partnership": round_.partnership.name if round_.partnership else None,
            "currency": round_.currency,
            "ballot_type": round_.ballot_type,
            "status": round_.status,
            "published_at": round_.published_at.isoformat() if round_.published_at else None,
        },
        "published": sheet.published,
        "money_unit": "minor (pence for GBP)",
        "budget": result.budget,
        "spent": result.spent,
        "remaining": result.remaining,
        "ballots": result.ballot_count,
        "turnout": {
            "total": sheet.turnout.total,
            "by_channel": {c.key: c.count for c in sheet.turnout.by_channel},
            "by_area": {c.key: c.count for c in sheet.turnout.by_area},
        },
        "rule": {"name": result.rule, "description": sheet.rule_label,
                 "settings": result.rule_settings},
        "tie_break": result.tie_break,
        "engine_version": result.engine_version,
        "ballots_sha256": result.ballots_sha256,
        "projects": [
            {
                "id": line.id,
                "title": line.title,
                "area": line.area or None,
                "category": line.category or None,
                "cost": line.cost,
                "votes": line.votes,
                "score": line.score if isinstance(line.score, int)
                else (int(line.score) if line.score.denominator == 1 else str(line.score)),
                "funded": line.selected,
                "award": line.award,
                "partial": line.partial,
                "step": line.step,
                "reason": {"code": line.reason["code"], "text": reason_text(sheet, line)},
            }
            for line in sheet.lines
        ],
    }
