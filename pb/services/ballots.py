"""Reading and checking a filled-in ballot, for every ballot type of the tally engine.

The same functions serve the resident's ballot page, the kiosk and paper-ballot entry, so a
ballot is held to one set of rules wherever it comes from. A ballot is a list of *marks*:
``(proposal_id, value)`` pairs in order, where ``value`` is 1 for approval, knapsack and
choose-one, the rank (1 = first) for ranking, the score for scoring and the points for points.

Form fields, each with an optional prefix (paper entry keys several ballots on one page):
``projects`` (ticked ids: approval, knapsack), ``project`` (one id: choose-one),
``rank-<id>``, ``score-<id>`` and ``points-<id>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..models import Proposal, Round
from ..money import format_money

Mark = tuple[int, int]
# Anything that answers .get(key) and .getlist(key), like request.form.
FormData = Mapping

DEFAULT_RANKS = 5
DEFAULT_SCORE = (0, 5)
DEFAULT_POINTS = 10
MAX_FIELD_LENGTH = 12


@dataclass(frozen=True)
class BallotRules:
    """What one round's ballot allows, with the round's defaults filled in."""

    type: str
    currency: str
    min_choices: int
    max_choices: int | None
    limit: int | None = None  # knapsack: most the chosen projects may cost together
    positions: int = 0  # ranking: how many places there are to fill
    score_min: int = 0
    score_max: int = 0
    allowance: int = 0  # points: how many points each resident shares out
    min_total: int | None = None  # points: fewest points that must be given

    @classmethod
    def for_round(cls, round_: Round, project_count: int) -> BallotRules:
        s = round_.ballot_settings or {}
        kind = round_.ballot_type
        max_choices = _int_or_none(s.get("max_choices"))
        min_choices = _int_or_none(s.get("min_choices")) or 1
        if kind == "choose-one":
            return cls(kind, round_.currency, 1, 1)
        if kind == "knapsack":
            limit = _int_or_none(s.get("budget_limit")) or round_.pot
            return cls(kind, round_.currency, min_choices, max_choices, limit=limit)
        if kind == "ranking":
            positions = max_choices or min(DEFAULT_RANKS, project_count)
            positions = max(1, min(positions, project_count or 1))
            return cls(kind, round_.currency, min(min_choices, positions), positions,
                       positions=positions)
        if kind == "scoring":
            low = _int_or_none(s.get("min_points"))
            high = _int_or_none(s.get("max_points"))
            low = DEFAULT_SCORE[0] if low is None else low
            high = DEFAULT_SCORE[1] if high is None else high
            return cls(kind, round_.currency, min_choices, max_choices, score_min=low,
                       score_max=high)
        if kind == "points":
            allowance = _int_or_none(s.get("max_total_points")) or DEFAULT_POINTS
            return cls(kind, round_.currency, min_choices, max_choices, allowance=allowance,
                       min_total=_int_or_none(s.get("min_total_points")),
                       score_max=_int_or_none(s.get("max_points")) or allowance)
        return cls("approval", round_.currency, min_choices, max_choices)

    @property
    def field_name(self) -> str:
        """The stem of the form fields for one project's mark."""
        return {"ranking": "rank", "scoring": "score", "points": "points"}.get(self.type, "")

    def instruction(self, pot: int) -> str:
        """One or two plain sentences telling the resident what to do."""
        money = lambda v: format_money(v, self.currency)  # noqa: E731
        if self.type == "choose-one":
            return str(_l("Choose the one project you most want to see funded."))
        if self.type == "knapsack":
            return str(_l("Tick the projects you want, as long as they add up to no more than "
                          "%(limit)s.", limit=money(self.limit or pot)))
        if self.type == "ranking":
            return ngettext("Choose your favourite project.",
                            "Put up to %(num)s projects in order: 1 for the one you want most.",
                            self.positions)
        if self.type == "scoring":
            return str(_l("Give a score from %(low)s to %(high)s to the projects you have a view "
                          "on: %(high)s means you like it most. Leave the others blank.",
                          low=self.score_min, high=self.score_max))
        if self.type == "points":
            return ngettext("You have %(num)s point to give to the project you like most.",
                            "You have %(num)s points. Share them out between the projects you "
                            "like: more points for the ones you like most.", self.allowance)
        if self.max_choices:
            return ngettext("Tick the project you support.",
                            "Tick up to %(num)s projects you support.", self.max_choices)
        return str(_l("Tick every project you support."))

    def easy_instruction(self, pot: int) -> list[tuple[str, str]]:
        """The same in Easy Read: short sentences, one idea each, with an icon's name.

        Returns (icon name, sentence) pairs, in the order to read them.
        """
        money = lambda v: format_money(v, self.currency)  # noqa: E731
        if self.type == "choose-one":
            return [("vote", str(_l("Choose one project."))),
                    ("idea", str(_l("Choose the one you want most.")))]
        if self.type == "ranking":
            if self.positions == 1:
                return [("vote", str(_l("Choose the project you want most.")))]
            return [("vote", str(_l("Put the projects in order."))),
                    ("idea", str(_l("Give place 1 to the project you want most."))),
                    ("idea", str(_l("Give place 2 to the next one, and so on."))),
                    ("info", ngettext("You can choose up to %(num)s project.",
                                      "You can choose up to %(num)s projects.", self.positions))]
        lines: list[tuple[str, str]]
        if self.type == "scoring":
            lines = [("vote", str(_l("Give a score to the projects you know about."))),
                     ("idea", str(_l("%(high)s means you like it most.", high=self.score_max))),
                     ("idea", str(_l("%(low)s means you like it least.", low=self.score_min))),
                     ("info", str(_l("You can leave the other projects blank.")))]
        elif self.type == "points":
            lines = [("vote", ngettext("You have %(num)s point to give.",
                                       "You have %(num)s points to give.", self.allowance)),
                     ("idea", str(_l("Give points to the projects you like."))),
                     ("idea", str(_l("Give more points to the ones you like most.")))]
            if self.score_max < self.allowance:
                lines.append(("info", ngettext(
                    "One project can get up to %(num)s point.",
                    "One project can get up to %(num)s points.", self.score_max)))
            if self.min_total:
                lines.append(("info", ngettext("Give at least %(num)s point in all.",
                                               "Give at least %(num)s points in all.",
                                               self.min_total)))
        else:
            lines = [("vote", str(_l("Tick the projects you like.")))]
            if self.type == "knapsack":
                lines += [("money", str(_l("Each project costs money."))),
                          ("money", str(_l("Together, the projects you tick can cost up to "
                                           "%(limit)s.", limit=money(self.limit or pot))))]
            elif self.max_choices:
                lines.append(("info", ngettext("You can tick %(num)s project.",
                                               "You can tick up to %(num)s projects.",
                                               self.max_choices)))
            else:
                lines.append(("info", str(_l("You can tick as many as you like."))))
        if self.min_choices > 1:
            lines.append(("info", ngettext("Choose at least %(num)s project.",
                                           "Choose at least %(num)s projects.",
                                           self.min_choices)))
        return lines


@dataclass
class Filled:
    """A ballot as the resident filled it in: what they typed, and what it means."""

    values: dict[int, str] = field(default_factory=dict)  # id -> as typed, for re-display
    marks: list[Mark] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field id, message)

    @property
    def ok(self) -> bool:
        return not self.problems


def _int_or_none(value) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def field_id(rules: BallotRules, proposal_id: int | None = None, prefix: str = "") -> str:
    """The id of the input a problem is about, for the error summary's links."""
    if rules.field_name and proposal_id is not None:
        return f"{prefix}{rules.field_name}-{proposal_id}"
    return f"{prefix}projects-fieldset"


def read(rules: BallotRules, projects: Sequence[Proposal], form: FormData,
         prefix: str = "") -> Filled:
    """Read a ballot from submitted form fields, then check it. Never raises on bad input."""
    filled = Filled()
    known = {p.id: p for p in projects}
    if rules.field_name:
        for p in projects:
            raw = (form.get(f"{prefix}{rules.field_name}-{p.id}") or "").strip()
            if raw:
                filled.values[p.id] = raw[:MAX_FIELD_LENGTH]
        stray = [k for k in form if _names_stray_project(k, prefix, rules.field_name, known)]
        if stray:
            filled.problems.append((field_id(rules, prefix=prefix), str(
                _l("One of the projects on your ballot is not on this ballot. Check your "
                   "choices and try again."))))
            return filled
        return _check_numbers(rules, projects, filled, prefix)
    if rules.type == "choose-one":
        raw_ids = [form.get(f"{prefix}project")] if form.get(f"{prefix}project") else []
        raw_ids += [v for v in _getlist(form, f"{prefix}projects")]
    else:
        raw_ids = _getlist(form, f"{prefix}projects")
    ids: list[int] = []
    stray = False
    for raw in raw_ids[: len(known) + 1]:
        pid = _int_or_none(str(raw).strip()[:MAX_FIELD_LENGTH])
        if pid not in known:
            stray = True
        elif pid not in ids:
            ids.append(pid)
    if stray:
        # Keep the ticks that are on this ballot, so the resident loses nothing they chose.
        filled.values = {pid: "1" for pid in ids}
        filled.problems.append((field_id(rules, prefix=prefix), str(
            _l("One of the projects you chose is not on this ballot. Check your choices "
               "and try again."))))
        return filled
    if len(raw_ids) > len(known):
        filled.problems.append((field_id(rules, prefix=prefix), str(
            _l("One of the projects you chose is not on this ballot. Check your choices and "
               "try again."))))
        return filled
    filled.values = {pid: "1" for pid in ids}
    filled.marks = [(pid, 1) for pid in ids]
    filled.problems = check(rules, projects, filled.marks, prefix)
    return filled


def _getlist(form: FormData, key: str) -> list:
    getlist = getattr(form, "getlist", None)
    if getlist is not None:
        return list(getlist(key))
    value = form.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _names_stray_project(key: str, prefix: str, stem: str, known: Mapping[int, Proposal]) -> bool:
    start = f"{prefix}{stem}-"
    if not key.startswith(start):
        return False
    return _int_or_none(key[len(start):]) not in known


def _check_numbers(rules: BallotRules, projects: Sequence[Proposal], filled: Filled,
                   prefix: str) -> Filled:
    """Ranking, scoring and points: every typed value must be a whole number in range."""
    numbers: dict[int, int] = {}
    for p in projects:
        raw = filled.values.get(p.id)
        if raw is None:
            continue
        value = _int_or_none(raw.replace(",", "")) if raw.lstrip("-").replace(",", "").isdigit() \
            else None
        fid = field_id(rules, p.id, prefix)
        if value is None:
            filled.problems.append((fid, _whole_number_message(rules, p)))
            continue
        if rules.type == "ranking" and not 1 <= value <= rules.positions:
            filled.problems.append((fid, str(_l(
                "“%(title)s”: choose a place from 1 to %(n)s.", title=p.title, n=rules.positions))))
            continue
        if rules.type == "scoring" and not rules.score_min <= value <= rules.score_max:
            filled.problems.append((fid, str(_l(
                "“%(title)s”: give a score from %(low)s to %(high)s, or leave it blank.",
                title=p.title, low=rules.score_min, high=rules.score_max))))
            continue
        if rules.type == "points" and value < 0:
            filled.problems.append((fid, str(_l(
                "“%(title)s”: points cannot be less than 0.", title=p.title))))
            continue
        if rules.type == "points" and value > rules.score_max:
            filled.problems.append((fid, str(_l(
                "“%(title)s”: give it no more than %(n)s points.", title=p.title,
                n=rules.score_max))))
            continue
        if rules.type == "points" and value == 0:
            continue  # no points is the same as leaving it blank
        numbers[p.id] = value
    if filled.problems:
        return filled
    if rules.type == "ranking":
        ordered = sorted(numbers.items(), key=lambda item: (item[1], item[0]))
        filled.marks = [(pid, rank) for pid, rank in ordered]
    else:
        order = {p.id: i for i, p in enumerate(projects)}
        filled.marks = sorted(numbers.items(), key=lambda item: order[item[0]])
    filled.problems = check(rules, projects, filled.marks, prefix)
    return filled


def _whole_number_message(rules: BallotRules, p: Proposal) -> str:
    if rules.type == "ranking":
        return str(_l("“%(title)s”: choose a place from the list.", title=p.title))
    return str(_l("“%(title)s”: enter a whole number, like 3.", title=p.title))


def check(rules: BallotRules, projects: Sequence[Proposal], marks: Sequence[Mark],
          prefix: str = "") -> list[tuple[str, str]]:
    """Problems with a ballot (empty if it may be cast), each with the field it is about."""
    known = {p.id: p for p in projects}
    whole = field_id(rules, prefix=prefix)
    ids = [pid for pid, _ in marks]
    if any(pid not in known for pid in ids) or len(set(ids)) != len(ids):
        return [(whole, str(_l("One of the projects you chose is not on this ballot. Check "
                               "your choices and try again.")))]
    count = len(marks)
    if rules.type == "choose-one":
        if count != 1:
            return [(whole, str(_l("Choose one project.") if count == 0 else
                                _l("Choose only one project.")))]
        return []
    if rules.type == "ranking":
        ranks = sorted(v for _, v in marks)
        seen: dict[int, int] = {}
        for pid, rank in marks:
            if rank in seen:
                return [(field_id(rules, pid, prefix), str(_l(
                    "You gave “%(a)s” and “%(b)s” the same place, %(rank)s. Give each project a "
                    "different place.", a=known[seen[rank]].title, b=known[pid].title,
                    rank=rank)))]
            seen[rank] = pid
        if ranks != list(range(1, count + 1)):
            missing = next(r for r in range(1, count + 2) if r not in seen)
            return [(whole, str(_l(
                "Your places must run 1, 2, 3 without a gap: nothing is in place %(rank)s.",
                rank=missing)))]
    if count < rules.min_choices:
        if count == 0:
            return [(whole, _nothing_chosen(rules))]
        return [(whole, ngettext("Choose at least %(num)s project.",
                                 "Choose at least %(num)s projects.", rules.min_choices))]
    if rules.max_choices is not None and count > rules.max_choices:
        return [(whole, ngettext("Choose no more than %(num)s project.",
                                 "Choose no more than %(num)s projects.", rules.max_choices))]
    if rules.type == "knapsack":
        total = sum(known[pid].cost for pid in ids)
        if total > (rules.limit or 0):
            money = lambda v: format_money(v, rules.currency)  # noqa: E731
            return [(whole, str(_l(
                "Your choices add up to %(total)s, which is %(over)s more than the %(limit)s "
                "available. Untick a project or choose cheaper ones.", total=money(total),
                over=money(total - rules.limit), limit=money(rules.limit))))]
    if rules.type == "points":
        total = sum(v for _, v in marks)
        if total > rules.allowance:
            return [(whole, str(_l(
                "You have given %(total)s points, but you have only %(allowance)s. Take "
                "%(over)s away.", total=total, allowance=rules.allowance,
                over=total - rules.allowance)))]
        if rules.min_total is not None and total < rules.min_total:
            return [(whole, str(_l("Give at least %(n)s points in all. You have given %(total)s.",
                                   n=rules.min_total, total=total)))]
    return []


def _nothing_chosen(rules: BallotRules) -> str:
    if rules.type == "ranking":
        return str(_l("Put at least one project in place 1."))
    if rules.type == "scoring":
        return str(_l("Give a score to at least one project."))
    if rules.type == "points":
        return str(_l("Give some points to at least one project."))
    return str(_l("Choose at least one project."))


def values_of(marks: Sequence[Mark]) -> dict[int, str]:
    """What to show in the form for marks already made (coming back from the review page)."""
    return {pid: str(value) for pid, value in marks}


def total_cost(projects: Sequence[Proposal], marks: Sequence[Mark]) -> int:
    ids = {pid for pid, _ in marks}
    return sum(p.cost for p in projects if p.id in ids)
