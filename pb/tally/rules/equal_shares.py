"""The Method of Equal Shares (MES), with cost utilities for approval-like ballots and points
as utilities for points, scoring and ranking ballots, and its ``add1`` completion.

Voters' budgets are exact Fractions. Voters who have paid the same amounts hold equal
budgets, so they are kept in budget classes: a project's supporters are counted per class,
and a round needs a handful of exact operations per class rather than per voter. A project's
price per unit of utility (``rho``) can only rise from round to round, so each round
recomputes only the projects at the top of a heap of lower bounds.
"""

from __future__ import annotations

import heapq
from fractions import Fraction
from math import gcd

import numpy as np

from pb.tally.model import Reason, TallyError, TieBreak, TieError
from pb.tally.profile import Profile
from pb.tally.rules import Decision
from pb.tally.tiebreak import chain_keys


class _Supporters:
    """Supporters and utilities of each project, as numpy arrays."""

    def __init__(self, profile: Profile, candidates: list[int]):
        n_proj = len(profile.ids)
        voters: list[list[int]] = [[] for _ in range(n_proj)]
        utils: list[list[int]] = [[] for _ in range(n_proj)]
        if profile.points_based:
            for i, (ix, pts) in enumerate(zip(profile.choices, profile.points)):
                for j, v in zip(ix, pts):
                    if v > 0:
                        voters[j].append(i)
                        utils[j].append(v)
        else:
            for i, ix in enumerate(profile.choices):
                for j in ix:
                    voters[j].append(i)
        self.voters = {j: np.asarray(voters[j], dtype=np.int64) for j in candidates}
        if profile.points_based:
            self.utils = {j: np.asarray(utils[j], dtype=np.int64) for j in candidates}
            self.width = 1 + max((int(u.max()) for u in self.utils.values() if len(u)), default=1)
        else:
            self.utils = None
            self.width = 1


class _Run:
    """One MES pass at a fixed virtual budget.

    Budgets are held exactly as integer numerators over one common denominator ``den``.
    """

    def __init__(self, profile: Profile, sup: _Supporters, virtual_budget: int):
        self.profile = profile
        self.sup = sup
        share = Fraction(virtual_budget, max(profile.voters, 1))
        self.den = share.denominator
        self.num: list[int] = [share.numerator]
        self.live = 1
        self.voter_class = np.zeros(profile.voters, dtype=np.int64)

    def _groups(self, j: int):
        """Return (classes, counts, numerators, utilities) of project j's supporter groups."""
        sup = self.sup
        classes = self.voter_class[sup.voters[j]]
        num = self.num
        if sup.utils is None:
            counts = np.bincount(classes, minlength=len(num))
            nz = np.flatnonzero(counts).tolist()
            cost = self.profile.costs[j]
            return classes, nz, counts[nz].tolist(), [num[k] for k in nz], [cost] * len(nz)
        w = sup.width
        combined = classes * w + sup.utils[j]
        counts = np.bincount(combined, minlength=len(num) * w)
        nz = np.flatnonzero(counts).tolist()
        return combined, nz, counts[nz].tolist(), [num[k // w] for k in nz], [k % w for k in nz]

    def rho(self, j: int) -> Fraction | None:
        """Return the least price per unit of utility at which project j's supporters pay
        its cost, or None when they cannot."""
        _, _, counts, nums, utils = self._groups(j)
        need = self.profile.costs[j] * self.den
        if sum(c * b for c, b in zip(counts, nums)) < need:
            return None
        if self.sup.utils is None:
            order = sorted(range(len(counts)), key=nums.__getitem__)
        else:
            order = sorted(range(len(counts)), key=lambda g: Fraction(nums[g], utils[g]))
        paid = 0
        util = sum(c * u for c, u in zip(counts, utils))
        for g in order:
            if (need - paid) * utils[g] <= nums[g] * util:
                return Fraction(need - paid, util * self.den)
            paid += counts[g] * nums[g]
            util -= counts[g] * utils[g]
        raise AssertionError("affordable project without a price")

    def pay(self, j: int, rho: Fraction) -> Fraction:
        """Charge project j's supporters at price ``rho``; return the most one paid."""
        classes, nz, _, nums, utils = self._groups(j)
        a, b = rho.numerator, rho.denominator
        den = self.den
        top = 0
        fresh = []
        for x, u in zip(nums, utils):
            have = x * b
            payment = min(have, a * u * den)
            top = max(top, payment)
            fresh.append(have - payment)
        g = b
        for x in fresh:
            g = gcd(g, x)
        scale = b // g
        if scale != 1:
            self.num = [x * scale for x in self.num]
            self.den = den * scale
        num = self.num
        local: dict[int, int] = {}
        mapping = np.zeros(max(nz) + 1, dtype=np.int64)
        for key, x in zip(nz, fresh):
            x //= g
            k = local.get(x)
            if k is None:
                k = len(num)
                num.append(x)
                local[x] = k
            mapping[key] = k
        self.voter_class[self.sup.voters[j]] = mapping[classes]
        if len(num) > 2 * self.live + 64:
            self._compact()
        return Fraction(top, den * b)

    def _compact(self) -> None:
        """Drop budget classes no voter holds any more."""
        used = np.flatnonzero(np.bincount(self.voter_class, minlength=len(self.num)))
        remap = np.zeros(len(self.num), dtype=np.int64)
        remap[used] = np.arange(len(used))
        self.voter_class = remap[self.voter_class]
        self.num = [self.num[k] for k in used.tolist()]
        self.live = len(self.num)

    def available(self, j: int) -> Fraction:
        """Return what project j's supporters hold together."""
        _, _, counts, nums, _ = self._groups(j)
        return Fraction(sum(c * x for c, x in zip(counts, nums)), self.den)


def _mes(profile, sup, candidates, virtual_budget, keys, tie_break, excluded, rule):
    run = _Run(profile, sup, virtual_budget)
    heap = []
    last = {}
    for j in candidates:
        if len(sup.voters[j]) == 0:
            continue
        r = run.rho(j)
        if r is not None:
            last[j] = r
            heap.append((r, keys[j], j))
    heapq.heapify(heap)
    funded = []
    blocked = set()
    while heap:
        r, key, j = heapq.heappop(heap)
        if j in blocked:
            continue
        now = run.rho(j)
        if now is None:
            continue
        last[j] = now
        if now != r:
            heapq.heappush(heap, (now, key, j))
            continue
        if tie_break.mode == "refuse":
            rivals = []
            held = []
            while heap and heap[0][0] == r:
                _, k2, j2 = heapq.heappop(heap)
                r2 = None if j2 in blocked else run.rho(j2)
                if r2 is not None:
                    last[j2] = r2
                    held.append((r2, k2, j2))
                    if r2 == r:
                        rivals.append(j2)
            for item in held:
                heapq.heappush(heap, item)
            if rivals:
                raise TieError([profile.ids[k] for k in [j] + rivals], len(funded) + 1, rule)
        payment = run.pay(j, r)
        funded.append((j, r, payment))
        blocked.add(j)
        blocked.update(excluded.get(j, ()))
    return funded, run, last


def run_pass(profile: Profile, virtual_budget: int, tie_break: TieBreak | None = None,
             candidates: list[int] | None = None, excluded: dict | None = None) -> list[str]:
    """Run one MES pass at a fixed virtual budget, without completion or budget check.

    Parameters
    ----------
    profile : Profile
    virtual_budget : int
        Each voter starts with ``virtual_budget / voters``.
    tie_break : TieBreak, optional
    candidates : list of int, optional
    excluded : dict, optional

    Returns
    -------
    list of str
        Ids selected, in order; their cost may exceed the real budget.
    """
    tie_break = tie_break or TieBreak()
    if candidates is None:
        candidates = list(range(len(profile.ids)))
    sup = _Supporters(profile, candidates)
    funded, _, _ = _mes(profile, sup, candidates, virtual_budget, chain_keys(profile, tie_break),
                        tie_break, excluded or {}, "equal-shares")
    return [profile.ids[j] for j, _, _ in funded]


def _exhaustive(profile, candidates, chosen, budget, excluded, supported):
    left = budget - sum(profile.costs[j] for j in chosen)
    blocked = set(chosen)
    for j in chosen:
        blocked.update(excluded.get(j, ()))
    return not any(j not in blocked and supported(j) and profile.costs[j] <= left for j in candidates)


def equal_shares(profile: Profile, settings: dict, tie_break: TieBreak, *, budget: int,
                 candidates: list[int], excluded: dict) -> Decision:
    """The Method of Equal Shares.

    Parameters
    ----------
    profile : Profile
    settings : dict
        ``completion``: None, or ``"add1"``: starting from ``budget / voters`` per voter,
        raise every voter's share by ``increment`` (default 100 minor units, one currency
        unit) at a time, and stop at the first outcome that is exhaustive (no unfunded
        project with supporters fits the money left), or, if the next higher share would
        select projects costing more than the budget, keep the last outcome that fits.
        ``virtual_budget``: run one pass as if the budget were this (shares of
        ``virtual_budget / voters``). ``greedy_completion``: then fund, by score, what still
        fits.
    tie_break : TieBreak
        Ties of price are broken by the chain; ``refuse`` raises :class:`TieError`.
    budget : int
    candidates : list of int
    excluded : dict

    Returns
    -------
    Decision
    """
    rule = "equal-shares"
    keys = chain_keys(profile, tie_break)
    sup = _Supporters(profile, candidates)
    n = max(profile.voters, 1)
    virtual = settings.get("virtual_budget") or budget
    supported = lambda j: len(sup.voters[j]) > 0  # noqa: E731
    passes = 1
    if settings.get("completion") == "add1":
        inc = settings.get("increment", 100)
        step = 0
        chosen_virtual = virtual
        best = _mes(profile, sup, candidates, virtual, keys, tie_break, excluded, rule)
        while not _exhaustive(profile, candidates, [j for j, _, _ in best[0]], budget, excluded, supported):
            step += 1
            nxt = _mes(profile, sup, candidates, virtual + step * inc * n, keys, tie_break, excluded, rule)
            passes += 1
            if sum(profile.costs[j] for j, _, _ in nxt[0]) > budget:
                break
            best = nxt
            chosen_virtual = virtual + step * inc * n
            if len(best[0]) == sum(1 for j in candidates if supported(j)):
                break
    else:
        chosen_virtual = virtual
        best = _mes(profile, sup, candidates, virtual, keys, tie_break, excluded, rule)
    funded, run, last = best
    decision = Decision()
    left = budget
    chosen = set()
    for j, r, payment in funded:
        step = len(decision.funded) + 1
        left -= profile.costs[j]
        chosen.add(j)
        params = {"step": step, "votes": profile.votes[j], "effective_votes": 1 / r, "payment": payment}
        decision.funded.append((j, profile.costs[j], Reason("es_funded", params)))
    if left < 0:
        raise TallyError(f"at a virtual budget of {virtual} equal shares selects projects costing "
                         f"{budget - left}, more than the budget of {budget}")
    blocked = set(chosen)
    for j in chosen:
        blocked.update(excluded.get(j, ()))
    if settings.get("greedy_completion"):
        order = sorted((j for j in candidates if j not in blocked and profile.scores[j] > 0),
                       key=lambda j: (-profile.scores[j], keys[j]))
        for j in order:
            if j in blocked:
                continue
            if profile.costs[j] <= left:
                left -= profile.costs[j]
                chosen.add(j)
                blocked.add(j)
                blocked.update(excluded.get(j, ()))
                decision.funded.append((j, profile.costs[j], Reason("es_completion", {
                    "step": len(decision.funded) + 1, "votes": profile.votes[j]})))
    for j in candidates:
        if j in chosen:
            continue
        if profile.scores[j] == 0:
            decision.reasons[j] = Reason("no_votes", {})
            continue
        rival = next((k for k in excluded.get(j, ()) if k in chosen), None)
        if rival is not None:
            decision.reasons[j] = Reason("excluded", {"with": profile.ids[rival]})
            continue
        eff = 1 / last[j] if j in last else None
        decision.reasons[j] = Reason("es_unaffordable", {
            "votes": profile.votes[j], "available": run.available(j) if supported(j) else Fraction(0),
            "cost": profile.costs[j], "effective_votes": eff})
    decision.details = {"virtual_budget": chosen_virtual, "share": Fraction(chosen_virtual, n),
                        "passes": passes}
    return decision
