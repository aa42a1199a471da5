"""Building the engine's election from the database, and storing what it returns."""

from __future__ import annotations

import hashlib
import json
from itertools import groupby
from operator import itemgetter

from sqlalchemy import select

from ..extensions import db
from ..models import Ballot, BallotChoice, Proposal, Round, TallyResult
from ..models.proposal import SHORTLISTED
from .ballots import BallotRules
from ..tally import ENGINE_VERSION, Ballot as EngineBallot, Election, Project, TieBreak, tally


def build_election(round_: Round) -> Election:
    """The round's shortlisted projects and every ballot cast, as the tally engine's input."""
    projects = [
        Project(id=str(p.id), cost=p.cost, name=p.title)
        for p in db.session.scalars(
            select(Proposal)
            .where(Proposal.round_id == round_.id, Proposal.status == SHORTLISTED)
            .order_by(Proposal.id)
        )
    ]
    # Core rows, not ORM rows: a city's round has hundreds of thousands of choices.
    rows = db.session.connection().execute(
        select(BallotChoice.ballot_id, BallotChoice.proposal_id, BallotChoice.value)
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.round_id == round_.id, Ballot.superseded_at.is_(None))
        .order_by(BallotChoice.ballot_id, BallotChoice.position)
    )
    names = {int(p.id): p.id for p in projects}
    with_points = round_.ballot_type not in ("approval", "knapsack", "choose-one", "ranking")
    ballots = []
    for _ballot_id, choices in groupby(rows, key=itemgetter(0)):
        choices = list(choices)
        ids = tuple(names.get(c[1]) or str(c[1]) for c in choices)
        ballots.append(EngineBallot(choices=ids, points=tuple(c[2] for c in choices))
                       if with_points else EngineBallot(choices=ids))
    return Election(budget=round_.pot, projects=projects, ballots=ballots,
                    ballot_type=round_.ballot_type, **ballot_limits(round_, len(projects)))


def ballot_limits(round_: Round, project_count: int) -> dict:
    """The ballot page's rules, as the engine's Election fields, so both check the same."""
    rules = BallotRules.for_round(round_, project_count)
    limits: dict = {"min_choices": rules.min_choices, "max_choices": rules.max_choices}
    if rules.type == "knapsack":
        limits["max_cost"] = rules.limit
    elif rules.type == "scoring":
        limits.update(min_points=rules.score_min, max_points=rules.score_max)
    elif rules.type == "points":
        limits.update(max_points=rules.score_max, max_total_points=rules.allowance,
                      min_total_points=rules.min_total)
    return limits


def ballots_digest(election: Election) -> str:
    """SHA-256 of the ballots in a canonical order, published so anyone can check the input."""
    lines = sorted(
        json.dumps([list(b.choices), list(b.points) if b.points else None], separators=(",", ":"))
        for b in election.ballots
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def tally_round(round_: Round, store: bool = True) -> TallyResult:
    """Run the round's rule over its ballots and store the result beside its inputs.

    Raises the engine's TieError when the round refuses to break a deciding tie.
    """
    election = build_election(round_)
    tie_break = TieBreak(mode=round_.tie_break, seed=round_.tie_break_seed or "")
    result = tally(election, rule=round_.rule, settings=dict(round_.rule_settings or {}),
                   tie_break=tie_break)
    stored = TallyResult(
        round_id=round_.id,
        rule=result.rule,
        rule_settings=dict(result.settings or {}),
        tie_break=dict(result.tie_break),
        engine_version=ENGINE_VERSION,
        ballot_count=len(election.ballots),
        ballots_sha256=ballots_digest(election),
        budget=result.budget,
        spent=result.spent,
        data=result.to_dict(),
    )
    if store:
        db.session.add(stored)
        db.session.flush()
    return stored


def latest_result(round_: Round) -> TallyResult | None:
    return db.session.scalars(
        select(TallyResult).where(TallyResult.round_id == round_.id).order_by(TallyResult.id.desc())
    ).first()
