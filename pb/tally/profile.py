"""Validation of elections and ballots, and the scores every rule starts from."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import chain

from pb.tally.model import BALLOT_TYPES, Election, TallyError

POINT_TYPES = frozenset({"ranking", "scoring", "points"})
ALIASES = {"cumulative": "points", "ordinal": "ranking", "choose-1": "choose-one"}


@dataclass
class Profile:
    """A validated election in index form.

    Projects are indexed in id order, so nothing depends on input order.

    Attributes
    ----------
    ids : list of str
    costs : list of int
    names : list of str
    areas : list of str or None
    budget : int
    voters : int
    votes : list of int
        Ballots including each project.
    scores : list of int
        Approvals or summed points.
    choices : list of tuple of int
        Per ballot, the project indices.
    points : list of tuple of int, or None
        Per ballot, the points aligned with ``choices`` (None for approval-like ballots).
    points_based : bool
        True when utilities are points rather than approvals.
    ballot_type : str
    """

    ids: list
    costs: list
    names: list
    areas: list
    budget: int
    voters: int
    votes: list
    scores: list
    choices: list
    points: list | None
    points_based: bool
    ballot_type: str


def _positive_int(value, what: str, line=None) -> int:
    if type(value) is not int or value <= 0:
        raise TallyError(f"{what} must be a positive whole number, got {value!r}", line)
    return value


def _where(ballot, index: int) -> str:
    return f"ballot {index + 1}" if ballot.line is None else "ballot"


def build_profile(election: Election) -> Profile:
    """Validate an election and compute votes and scores.

    Parameters
    ----------
    election : Election

    Returns
    -------
    Profile

    Raises
    ------
    TallyError
        On a non-positive budget or cost, a duplicate project id, an unknown ballot type,
        or a ballot that breaks the round's limits (the message names the ballot's line
        when it came from a file).
    """
    if election._profile is not None:
        return election._profile
    bt = ALIASES.get(election.ballot_type, election.ballot_type)
    if bt not in BALLOT_TYPES:
        raise TallyError(f"unknown ballot type {bt!r}; use one of {', '.join(BALLOT_TYPES)}")
    budget = _positive_int(election.budget, "the budget")
    projects = sorted(election.projects, key=lambda p: p.id)
    index = {}
    for p in projects:
        if not isinstance(p.id, str) or not p.id:
            raise TallyError(f"project id must be a non-empty string, got {p.id!r}")
        if p.id in index:
            raise TallyError(f"duplicate project id {p.id!r}")
        _positive_int(p.cost, f"the cost of project {p.id!r}")
        index[p.id] = len(index)
    n = len(projects)
    costs = [p.cost for p in projects]
    scores = [0] * n
    rows = []
    points_based = bt in POINT_TYPES
    min_c, max_c = election.min_choices, election.max_choices
    max_cost = election.max_cost if election.max_cost is not None else budget
    lo, hi = election.min_points, election.max_points
    tot_lo, tot_hi = election.min_total_points, election.max_total_points
    pos_points = election.position_points
    if bt == "ranking" and pos_points is None:
        k = max_c if max_c is not None else max((len(b.choices) for b in election.ballots), default=0)
        pos_points = tuple(range(k, 0, -1))
    getter = index.__getitem__
    choose_one = bt == "choose-one"
    knapsack = bt == "knapsack"
    plain = bt in ("approval", "knapsack", "choose-one")
    point_rows = None if plain else []
    checked: dict[tuple, tuple] = {}
    for i, b in enumerate(election.ballots):
        pts = b.points
        if plain and pts is None:
            ix = checked.get(b.choices)
            if ix is not None:
                rows.append(ix)
                continue
        line = b.line
        try:
            ix = tuple(map(getter, b.choices))
        except (KeyError, TypeError):
            unknown = next(c for c in b.choices if c not in index)
            raise TallyError(f"{_where(b, i)} names unknown project {unknown!r}", line) from None
        m = len(ix)
        if m > 1 and len(set(ix)) != m:
            raise TallyError(f"{_where(b, i)} names a project more than once", line)
        if min_c is not None and m < min_c:
            raise TallyError(f"{_where(b, i)} chooses {m} projects, fewer than the minimum of {min_c}", line)
        if max_c is not None and m > max_c:
            raise TallyError(f"{_where(b, i)} chooses {m} projects, more than the maximum of {max_c}", line)
        rows.append(ix)
        if plain:
            if pts is not None:
                raise TallyError(f"{_where(b, i)} gives points on a {bt} ballot", line)
            if choose_one and m > 1:
                raise TallyError(f"{_where(b, i)} chooses {m} projects on a choose-one ballot", line)
            if knapsack:
                total = sum(costs[j] for j in ix)
                if total > max_cost:
                    raise TallyError(f"{_where(b, i)} chooses projects costing {total}, more than the limit of {max_cost}", line)
            checked[b.choices] = ix
            continue
        if bt == "ranking" and pts is None:
            if m > len(pos_points):
                raise TallyError(f"{_where(b, i)} ranks {m} projects, more than the {len(pos_points)} positions", line)
            pts = pos_points[:m]
        elif pts is None:
            raise TallyError(f"{_where(b, i)} gives no points on a {bt} ballot", line)
        if len(pts) != m:
            raise TallyError(f"{_where(b, i)} has {m} projects but {len(pts)} point values", line)
        total = 0
        for v in pts:
            if type(v) is not int:
                raise TallyError(f"{_where(b, i)} gives non-integer points {v!r}", line)
            if v < lo or (hi is not None and v > hi):
                rng = f"{lo} to {hi}" if hi is not None else f"at least {lo}"
                raise TallyError(f"{_where(b, i)} gives {v} points, outside the allowed range {rng}", line)
            total += v
        if tot_hi is not None and total > tot_hi:
            raise TallyError(f"{_where(b, i)} spreads {total} points, more than the {tot_hi} allowed", line)
        if tot_lo is not None and total < tot_lo:
            raise TallyError(f"{_where(b, i)} spreads {total} points, fewer than the {tot_lo} required", line)
        point_rows.append(tuple(pts))
        for j, v in zip(ix, pts):
            scores[j] += v
    counts = Counter(chain.from_iterable(rows))
    votes = [counts.get(j, 0) for j in range(n)]
    if plain:
        scores = list(votes)
    return Profile(
        ids=[p.id for p in projects],
        costs=costs,
        names=[p.name for p in projects],
        areas=[p.area for p in projects],
        budget=budget,
        voters=len(rows),
        votes=votes,
        scores=scores,
        choices=rows,
        points=point_rows,
        points_based=points_based,
        ballot_type=bt,
    )
