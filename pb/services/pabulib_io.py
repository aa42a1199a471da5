"""A round's anonymised ballots as a pabulib `.pb` file, which `pb tally` or any
pabulib-compatible tool can count again.

Ballots are written in a canonical order (sorted), not the order they were cast, so the file
says nothing about who voted when. Projects keep the id they had in the file they were
imported from, else the platform's proposal number.
"""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction

from sqlalchemy import select

from ..extensions import db
from ..models import Proposal, Round, TallyResult
from ..tally import Ballot as EngineBallot, Election, Project
from ..tally import pabulib
from . import tallying

PABULIB_RULES = {
    "greedy": "greedy",
    "greedy-no-skip": "greedy-no-skip",
    "greedy-threshold": "greedy-threshold",
    "phragmen": "phragmen",
}


def export_ids(round_: Round) -> dict[str, str]:
    """The engine's project id (proposal id as text) -> the id written to files."""
    rows = db.session.execute(select(Proposal.id, Proposal.external_id)
                              .where(Proposal.round_id == round_.id))
    return {str(pid): (external or str(pid)) for pid, external in rows}


def _sort_key(ballot: EngineBallot) -> tuple:
    return (ballot.choices, ballot.points or ())


def round_election(round_: Round) -> Election:
    """The round's election with the exported project ids and ballots in canonical order."""
    election = tallying.build_election(round_)
    ids = export_ids(round_)
    projects = [Project(id=ids[p.id], cost=p.cost, name=p.name, area=p.area)
                for p in election.projects]
    ballots = sorted((EngineBallot(tuple(ids[c] for c in b.choices), b.points)
                      for b in election.ballots), key=_sort_key)
    fields = {name: getattr(election, name) for name in (
        "ballot_type", "min_choices", "max_choices", "max_cost", "max_points", "min_points",
        "max_total_points", "min_total_points", "position_points")}
    return Election(budget=election.budget, projects=projects, ballots=ballots, **fields)


def _pabulib_rule(result: TallyResult) -> tuple[str, dict[str, str]]:
    """The result's rule as pabulib META: the rule's name and any threshold it used."""
    settings = result.rule_settings or {}
    extra: dict[str, str] = {}
    if result.rule == "equal-shares":
        return ("equalshares/add1" if settings.get("completion") == "add1" else "equalshares"), extra
    if settings.get("threshold") is not None:
        extra["min_project_score_threshold"] = str(settings["threshold"])
    elif settings.get("threshold_percent") is not None:
        # Scores are whole numbers, so "at least p% of voters" is "at least this many".
        least = Fraction(settings["threshold_percent"]) * result.ballot_count / 100
        extra["min_project_score_threshold"] = str(math.ceil(least))
    return PABULIB_RULES.get(result.rule, result.rule), extra


def round_pb(round_: Round, result: TallyResult | None = None) -> str:
    """The round as a pabulib file: META, PROJECTS (with `selected` when counted), VOTES."""
    election = round_election(round_)
    ids = export_ids(round_)
    meta = {
        "description": round_.title,
        "country": "",
        "unit": round_.council.name,
        "instance": round_.slug,
        "currency": round_.currency,
        "language": "en",
    }
    if round_.partnership is not None:
        meta["subunit"] = round_.partnership.name
    if round_.voting_opened_at:
        meta["date_begin"] = round_.voting_opened_at.strftime("%d.%m.%Y")
    if round_.voting_closed_at:
        meta["date_end"] = round_.voting_closed_at.strftime("%d.%m.%Y")
    selected = None
    if result is not None:
        rule, extra = _pabulib_rule(result)
        meta["rule"] = rule
        meta.update(extra)
        meta["tie_break"] = result.tie_break.get("mode", "chain")
        meta["tie_break_seed"] = result.tie_break.get("seed", "")
        meta["engine_version"] = result.engine_version
        selected = [ids[pid] for pid in result.data["selected"]]
    return pabulib.write(election, meta=meta, selected=selected,
                         scale=10 ** _digits(round_.currency))


def _digits(currency: str) -> int:
    from ..money import minor_digits

    return minor_digits(currency)


def file_sha256(text: str) -> str:
    """SHA-256 of a file as downloaded (UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
