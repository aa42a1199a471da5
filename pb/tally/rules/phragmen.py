"""Sequential Phragmén for budgets: voters earn money at an equal rate and a project is
bought as soon as its supporters have earned its cost, given what they already spent."""

from __future__ import annotations

import heapq
from fractions import Fraction

import numpy as np

from pb.tally.model import Reason, TieBreak, TieError
from pb.tally.profile import Profile
from pb.tally.rules import Decision
from pb.tally.tiebreak import chain_keys


def phragmen(profile: Profile, settings: dict, tie_break: TieBreak, *, budget: int,
             candidates: list[int], excluded: dict) -> Decision:
    """Sequential Phragmén, budgeted.

    A voter supports a project she approves or gives positive points. Each voter's load
    starts at 0. Project c can be bought at time ``(cost(c) + sum of its supporters'
    loads) / supporters``; the project with the earliest time among those that still fit the
    budget is funded and its supporters' loads rise to that time. Projects that no longer
    fit are dropped; counting ends when none is left.

    Parameters
    ----------
    profile : Profile
    settings : dict
        No options besides the common ``pots`` and ``exclusive``.
    tie_break : TieBreak
    budget : int
    candidates : list of int
    excluded : dict

    Returns
    -------
    Decision
    """
    keys = chain_keys(profile, tie_break)
    supporters: dict[int, list[int]] = {j: [] for j in candidates}
    if profile.points_based:
        rows = ((ix, pts) for ix, pts in zip(profile.choices, profile.points))
        for i, (ix, pts) in enumerate(rows):
            for j, v in zip(ix, pts):
                if v > 0 and j in supporters:
                    supporters[j].append(i)
    else:
        for i, ix in enumerate(profile.choices):
            for j in ix:
                if j in supporters:
                    supporters[j].append(i)
    sup = {j: np.asarray(v, dtype=np.int64) for j, v in supporters.items()}
    loads: list[Fraction] = [Fraction(0)]
    load_class = np.zeros(profile.voters, dtype=np.int64)

    def time_of(j: int) -> Fraction:
        counts = np.bincount(load_class[sup[j]], minlength=len(loads))
        nz = np.flatnonzero(counts).tolist()
        total = sum((loads[k] * c for k, c in zip(nz, counts[nz].tolist())), Fraction(0))
        return (profile.costs[j] + total) / len(sup[j])

    decision = Decision()
    heap = [(time_of(j), keys[j], j) for j in candidates if len(sup[j])]
    heapq.heapify(heap)
    left = budget
    blocked: set[int] = set()
    while heap:
        t, key, j = heapq.heappop(heap)
        if j in blocked:
            continue
        if profile.costs[j] > left:
            decision.reasons[j] = Reason("over_budget", {"cost": profile.costs[j], "left": left})
            continue
        now = time_of(j)
        if now != t:
            heapq.heappush(heap, (now, key, j))
            continue
        if tie_break.mode == "refuse":
            held, rivals = [], []
            while heap and heap[0][0] == t:
                item = heapq.heappop(heap)
                j2 = item[2]
                if j2 in blocked or profile.costs[j2] > left:
                    held.append(item)
                    continue
                t2 = time_of(j2)
                held.append((t2, item[1], j2))
                if t2 == t:
                    rivals.append(j2)
            for item in held:
                heapq.heappush(heap, item)
            if rivals:
                raise TieError([profile.ids[k] for k in [j] + rivals], len(decision.funded) + 1,
                               "phragmen")
        left -= profile.costs[j]
        loads.append(t)
        load_class[sup[j]] = len(loads) - 1
        blocked.add(j)
        for k in excluded.get(j, ()):
            if k not in blocked:
                blocked.add(k)
                decision.reasons[k] = Reason("excluded", {"with": profile.ids[j]})
        decision.funded.append((j, profile.costs[j], Reason("phragmen_funded", {
            "step": len(decision.funded) + 1, "votes": profile.votes[j], "load": t})))
    for j in candidates:
        if j not in blocked and j not in decision.reasons:
            decision.reasons[j] = Reason("no_votes", {})
    return decision
