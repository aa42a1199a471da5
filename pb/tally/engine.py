"""The entry point: :func:`tally` validates an election, applies a rule and explains the result."""

from __future__ import annotations

from fractions import Fraction

from pb.tally.model import Election, ProjectOutcome, Reason, Result, TallyError, TieBreak
from pb.tally.profile import Profile, build_profile
from pb.tally.rules import Decision

RULES = ("greedy", "greedy-no-skip", "greedy-threshold", "equal-shares", "phragmen")

_COMMON = {"pots", "exclusive"}
_GREEDY = {"threshold", "threshold_percent", "partial_remainder"} | _COMMON
_ALLOWED = {
    "greedy": _GREEDY,
    "greedy-no-skip": _GREEDY,
    "greedy-threshold": _GREEDY,
    "equal-shares": {"completion", "increment", "greedy_completion", "virtual_budget"} | _COMMON,
    "phragmen": set(_COMMON),
}


def _check_settings(rule: str, settings: dict) -> dict:
    if rule not in _ALLOWED:
        raise TallyError(f"unknown rule {rule!r}; use one of {', '.join(RULES)}")
    unknown = sorted(set(settings) - _ALLOWED[rule])
    if unknown:
        raise TallyError(f"rule {rule!r} has no setting {unknown[0]!r}")
    s = dict(settings)
    if rule == "greedy-threshold" and s.get("threshold") is None and s.get("threshold_percent") is None:
        raise TallyError("rule 'greedy-threshold' needs a 'threshold' or 'threshold_percent' setting")
    if s.get("threshold") is not None and s.get("threshold_percent") is not None:
        raise TallyError("give either 'threshold' or 'threshold_percent', not both")
    if s.get("threshold") is not None:
        t = s["threshold"]
        if type(t) is not int or t < 0:
            raise TallyError(f"threshold must be a whole number of at least 0, got {t!r}")
    if s.get("threshold_percent") is not None:
        try:
            p = Fraction(s["threshold_percent"])
        except (TypeError, ValueError):
            raise TallyError(f"threshold_percent must be a number, got {s['threshold_percent']!r}") from None
        if not 0 <= p <= 100:
            raise TallyError(f"threshold_percent must be between 0 and 100, got {s['threshold_percent']!r}")
    if rule == "equal-shares":
        if s.get("completion") not in (None, "add1"):
            raise TallyError(f"unknown completion {s['completion']!r}; use 'add1' or none")
        inc = s.get("increment", 100)
        if type(inc) is not int or inc <= 0:
            raise TallyError(f"increment must be a positive whole number, got {inc!r}")
        vb = s.get("virtual_budget")
        if vb is not None and (type(vb) is not int or vb <= 0):
            raise TallyError(f"virtual_budget must be a positive whole number, got {vb!r}")
    return s


def _exclusions(profile: Profile, groups) -> dict:
    index = {pid: j for j, pid in enumerate(profile.ids)}
    excluded: dict[int, set] = {}
    for group in groups or ():
        members = []
        for pid in group:
            if pid not in index:
                raise TallyError(f"exclusive group names unknown project {pid!r}")
            members.append(index[pid])
        for j in members:
            excluded.setdefault(j, set()).update(k for k in members if k != j)
    return {j: sorted(ks) for j, ks in excluded.items()}


def _apply(profile: Profile, rule: str, settings: dict, tie_break: TieBreak, budget: int,
           candidates: list[int], excluded: dict) -> Decision:
    if rule in ("greedy", "greedy-threshold", "greedy-no-skip"):
        from pb.tally.rules.greedy import greedy

        return greedy(profile, settings, tie_break, rule=rule, no_skip=rule == "greedy-no-skip",
                      budget=budget, candidates=candidates, excluded=excluded)
    if rule == "equal-shares":
        from pb.tally.rules.equal_shares import equal_shares

        return equal_shares(profile, settings, tie_break, budget=budget, candidates=candidates,
                            excluded=excluded)
    from pb.tally.rules.phragmen import phragmen

    return phragmen(profile, settings, tie_break, budget=budget, candidates=candidates,
                    excluded=excluded)


def tally(election: Election, rule: str = "greedy", settings: dict | None = None,
          tie_break: TieBreak | None = None) -> Result:
    """Count an election under a rule and explain every project's outcome.

    Parameters
    ----------
    election : Election
    rule : str
        ``greedy``, ``greedy-no-skip``, ``greedy-threshold``, ``equal-shares`` or ``phragmen``.
    settings : dict, optional
        Rule options, recorded in the result. Greedy rules: ``threshold`` (least score),
        ``threshold_percent`` (least score as a percentage of voters), ``partial_remainder``
        (bool). Equal shares: ``completion`` (``"add1"`` or None), ``increment`` (minor units
        added to each voter's share per add1 pass, default 100), ``greedy_completion``
        (bool), ``virtual_budget`` (run at a fixed larger budget). All rules: ``pots``
        (area to budget: the rule runs in each area's pot separately) and ``exclusive``
        (lists of project ids of which at most one may be funded).
    tie_break : TieBreak, optional
        Defaults to ``TieBreak("chain", "")``.

    Returns
    -------
    Result

    Raises
    ------
    TallyError
        On invalid input or settings.
    TieError
        In tie-break mode ``refuse``, when a tie decides the outcome.
    """
    tie_break = tie_break or TieBreak()
    settings = _check_settings(rule, settings or {})
    profile = build_profile(election)
    excluded = _exclusions(profile, settings.get("exclusive"))
    pots = settings.get("pots")
    decision = Decision()
    if pots:
        for area in sorted(pots):
            amount = pots[area]
            if type(amount) is not int or amount <= 0:
                raise TallyError(f"the pot of area {area!r} must be a positive whole number")
        missing = sorted({profile.ids[j] for j, a in enumerate(profile.areas) if a not in pots})
        if missing:
            raise TallyError(f"project {missing[0]!r} belongs to no pot")
        if sum(pots.values()) > profile.budget:
            raise TallyError("the pots add up to more than the budget")
        for area in sorted(pots):
            part = _apply(profile, rule, settings, tie_break, pots[area],
                          [j for j, a in enumerate(profile.areas) if a == area], excluded)
            for j, award, reason in part.funded:
                params = dict(reason.params, area=area)
                if "step" in params:
                    params["step"] = len(decision.funded) + 1
                decision.funded.append((j, award, Reason(reason.code, params)))
            decision.reasons.update(part.reasons)
            if part.details:
                decision.details[area] = part.details
    else:
        decision = _apply(profile, rule, settings, tie_break, profile.budget,
                          list(range(len(profile.ids))), excluded)
    return build_result(profile, rule, settings, tie_break, decision)


def build_result(profile: Profile, rule: str, settings: dict, tie_break: TieBreak,
                 decision: Decision) -> Result:
    """Assemble a :class:`Result` from a rule's decision."""
    outcomes = []
    spent = 0
    seen = set()
    for step, (j, award, reason) in enumerate(decision.funded, start=1):
        spent += award
        seen.add(j)
        outcomes.append(ProjectOutcome(
            id=profile.ids[j], cost=profile.costs[j], score=profile.scores[j],
            votes=profile.votes[j], selected=True, award=award,
            partial=award < profile.costs[j], step=step, reason=reason, name=profile.names[j]))
    rest = sorted((j for j in range(len(profile.ids)) if j not in seen),
                  key=lambda j: (-profile.scores[j], profile.ids[j]))
    for j in rest:
        outcomes.append(ProjectOutcome(
            id=profile.ids[j], cost=profile.costs[j], score=profile.scores[j],
            votes=profile.votes[j], selected=False, award=0, partial=False, step=None,
            reason=decision.reasons.get(j, Reason("not_selected", {})), name=profile.names[j]))
    if spent > profile.budget:
        raise AssertionError("a rule overspent the budget")
    return Result(
        rule=rule, settings=settings, tie_break=tie_break.to_dict(), budget=profile.budget,
        spent=spent, remaining=profile.budget - spent,
        selected=[profile.ids[j] for j, _, _ in decision.funded], projects=outcomes,
        ballot_type=profile.ballot_type, voters=profile.voters, details=decision.details)
