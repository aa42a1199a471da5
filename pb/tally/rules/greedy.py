"""Greedy rules: fund projects by score, highest first (``greedy``, ``greedy-no-skip``,
``greedy-threshold``), with an optional partial award of the remainder."""

from __future__ import annotations

import itertools
from fractions import Fraction

from pb.tally.model import Reason, TieBreak, TieError
from pb.tally.profile import Profile
from pb.tally.rules import Decision
from pb.tally.tiebreak import chain_keys, deciding_criterion

_MAX_PERMUTED = 7


def min_score(settings: dict, voters: int) -> Fraction | None:
    """Return the least score a project needs under ``threshold``/``threshold_percent``."""
    if settings.get("threshold") is not None:
        return Fraction(settings["threshold"])
    if settings.get("threshold_percent") is not None:
        return Fraction(settings["threshold_percent"]) * voters / 100
    return None


def _funded_reason(profile: Profile, j: int, step: int) -> Reason:
    params = {"step": step, "votes": profile.votes[j]}
    if profile.points_based:
        params["score"] = profile.scores[j]
    return Reason("funded", params)


def _simulate(costs, order, left, partial, partial_used, no_skip):
    funded = []
    stopped = False
    for j in order:
        if stopped:
            break
        if costs[j] <= left:
            funded.append((j, costs[j]))
            left -= costs[j]
        else:
            if partial and not partial_used and left > 0:
                funded.append((j, left))
                left = 0
                partial_used = True
            if no_skip:
                stopped = True
    return frozenset(funded), stopped


def _check_tie(profile, group, left, partial, partial_used, no_skip, step, rule):
    costs = profile.costs
    if len(group) > _MAX_PERMUTED:
        outcomes = {_simulate(costs, group, left, partial, partial_used, no_skip),
                    _simulate(costs, group[::-1], left, partial, partial_used, no_skip)}
        fits_all = sum(costs[j] for j in group) <= left
        if len(outcomes) > 1 or not fits_all:
            raise TieError([profile.ids[j] for j in group], step, rule)
        return
    outcomes = {_simulate(costs, perm, left, partial, partial_used, no_skip)
                for perm in itertools.permutations(group)}
    if len(outcomes) > 1:
        raise TieError([profile.ids[j] for j in group], step, rule)


def greedy(profile: Profile, settings: dict, tie_break: TieBreak, *, rule: str = "greedy",
           no_skip: bool = False, budget: int | None = None,
           candidates: list[int] | None = None, excluded: dict | None = None) -> Decision:
    """Fund projects by score, highest first, each one that still fits.

    Parameters
    ----------
    profile : Profile
    settings : dict
        ``threshold`` (least score), ``threshold_percent`` (least score as a percentage of
        voters), ``partial_remainder`` (offer what is left to the first project that does
        not fit, as a partial award).
    tie_break : TieBreak
    rule : str
        Name used in tie errors.
    no_skip : bool
        Stop at the first project that does not fit (``greedy-no-skip``).
    budget : int, optional
        Money to spend; defaults to the election's budget.
    candidates : list of int, optional
        Project indices to consider; defaults to all.
    excluded : dict, optional
        Index to the indices it may not be funded with (mutually exclusive projects).

    Returns
    -------
    Decision
        Projects with no votes, or a score below the threshold, are never funded.
    """
    costs, scores = profile.costs, profile.scores
    keys = chain_keys(profile, tie_break)
    if candidates is None:
        candidates = range(len(profile.ids))
    order = sorted(candidates, key=lambda j: (-scores[j], keys[j]))
    threshold = min_score(settings, profile.voters)
    partial = bool(settings.get("partial_remainder"))
    left = profile.budget if budget is None else budget
    excluded = excluded or {}
    decision = Decision()
    funded_at = {}
    partial_used = False
    stopped_at = None
    for _, grp in itertools.groupby(order, key=lambda j: scores[j]):
        group = list(grp)
        active = [j for j in group if scores[j] > 0 and (threshold is None or scores[j] >= threshold)
                  and not any(k in funded_at for k in excluded.get(j, ()))]
        if tie_break.mode == "refuse" and len(active) > 1 and stopped_at is None:
            _check_tie(profile, active, left, partial, partial_used, no_skip,
                       len(decision.funded) + 1, rule)
        for pos, j in enumerate(group):
            if scores[j] == 0:
                decision.reasons[j] = Reason("no_votes", {})
                continue
            if threshold is not None and scores[j] < threshold:
                params = {"threshold": threshold, "score": scores[j]}
                if settings.get("threshold") is None:
                    params["percent"] = Fraction(settings["threshold_percent"])
                decision.reasons[j] = Reason("below_threshold", params)
                continue
            rival = next((k for k in excluded.get(j, ()) if k in funded_at), None)
            if rival is not None:
                decision.reasons[j] = Reason("excluded", {"with": profile.ids[rival]})
                continue
            if stopped_at is not None:
                decision.reasons[j] = Reason("stopped", {"at": profile.ids[stopped_at]})
                continue
            step = len(decision.funded) + 1
            if costs[j] <= left:
                left -= costs[j]
                funded_at[j] = costs[j]
                decision.funded.append((j, costs[j], _funded_reason(profile, j, step)))
                continue
            if partial and not partial_used and left > 0:
                award = left
                left = 0
                partial_used = True
                funded_at[j] = award
                decision.funded.append((j, award, Reason("partial", {
                    "step": step, "votes": profile.votes[j], "award": award, "cost": costs[j]})))
            else:
                rival = next((k for k in group[:pos] if k in funded_at and costs[j] <= left + funded_at[k]), None)
                if rival is not None:
                    decision.reasons[j] = Reason("lost_tie", {
                        "with": profile.ids[rival], "criterion": deciding_criterion(keys, rival, j),
                        "cost": costs[j], "left": left})
                else:
                    decision.reasons[j] = Reason("over_budget", {"cost": costs[j], "left": left})
            if no_skip:
                stopped_at = j
    return decision
