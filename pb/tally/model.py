"""Data types of the tally engine: inputs (projects, ballots, elections) and results."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

ENGINE_VERSION = "1.0.0"

BALLOT_TYPES = ("approval", "knapsack", "choose-one", "ranking", "scoring", "points")


class TallyError(ValueError):
    """An election, a ballot or a rule option that the engine cannot count.

    Parameters
    ----------
    message : str
        What is wrong, in plain English.
    line : int, optional
        1-based line of the input file at fault, when the input came from a file.
    """

    def __init__(self, message: str, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class TieError(TallyError):
    """A tie that decides the outcome, raised in tie-break mode ``refuse``.

    Attributes
    ----------
    tied : list of str
        Ids of the tied projects, in id order.
    step : int
        The selection step at which the tie had to be decided.
    """

    def __init__(self, tied: list[str], step: int, rule: str):
        self.tied = sorted(tied)
        self.step = step
        self.rule = rule
        super().__init__(
            f"{rule}: projects {', '.join(self.tied)} are tied at step {step} and the "
            "outcome depends on which goes first; tie-break mode is 'refuse'"
        )


@dataclass(frozen=True, slots=True)
class Project:
    """A project on the ballot.

    Parameters
    ----------
    id : str
        Unique id.
    cost : int
        Cost in minor currency units (pence); must be positive.
    name : str
        Display name.
    area : str, optional
        District or category pot the project belongs to (used with the ``pots`` setting).
    """

    id: str
    cost: int
    name: str = ""
    area: str | None = None


class Ballot:
    """One voter's ballot.

    Parameters
    ----------
    choices : tuple of str
        Project ids; for ranking ballots, best first.
    points : tuple of int, optional
        Points aligned with ``choices`` (scoring and points ballots; optional for ranking).
    line : int, optional
        1-based line of the source file, used in error messages; not part of equality.
    """

    __slots__ = ("choices", "points", "line")

    def __init__(self, choices: tuple[str, ...], points: tuple[int, ...] | None = None,
                 line: int | None = None):
        self.choices = tuple(choices)
        self.points = None if points is None else tuple(points)
        self.line = line

    def __eq__(self, other):
        if not isinstance(other, Ballot):
            return NotImplemented
        return self.choices == other.choices and self.points == other.points

    def __hash__(self):
        return hash((self.choices, self.points))

    def __repr__(self):
        return f"Ballot(choices={self.choices!r}, points={self.points!r})"


@dataclass(frozen=True)
class Election:
    """A budget, its projects, the ballots cast and the ballot rules of the round.

    Parameters
    ----------
    budget : int
        Total budget in minor units; must be positive.
    projects : sequence of Project
    ballots : sequence of Ballot
    ballot_type : str
        One of ``approval``, ``knapsack``, ``choose-one``, ``ranking``, ``scoring``, ``points``.
    min_choices, max_choices : int, optional
        Bounds on the number of projects on a ballot.
    max_cost : int, optional
        Knapsack ballots: the most a ballot's chosen projects may cost together
        (defaults to the budget).
    max_points : int, optional
        Most points one project may receive on one ballot (scoring: the top of the scale).
    min_points : int
        Fewest points one project may receive (scoring scales that start at 1, say).
    max_total_points, min_total_points : int, optional
        Points ballots: bounds on the points spread over all projects.
    position_points : tuple of int, optional
        Ranking ballots: points for positions 1, 2, ...; by default position i of a
        top-k ballot gets k - i + 1, with k = ``max_choices`` (or the longest ballot).
    """

    budget: int
    projects: tuple[Project, ...] | list[Project]
    ballots: tuple[Ballot, ...] | list[Ballot]
    ballot_type: str = "approval"
    min_choices: int | None = None
    max_choices: int | None = None
    max_cost: int | None = None
    max_points: int | None = None
    min_points: int = 0
    max_total_points: int | None = None
    min_total_points: int | None = None
    position_points: tuple[int, ...] | None = None
    _profile: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TieBreak:
    """How ties are settled.

    Parameters
    ----------
    mode : {"chain", "refuse"}
        ``chain``: lowest cost first, then most raw votes, then a lot drawn from ``seed``
        (projects ordered by sha256 of ``seed + ":" + id``).
        ``refuse``: raise :class:`TieError` whenever a tie decides the outcome.
    seed : str
        Published seed of the lot.
    """

    mode: str = "chain"
    seed: str = ""

    def __post_init__(self):
        if self.mode not in ("chain", "refuse"):
            raise TallyError(f"unknown tie-break mode {self.mode!r}; use 'chain' or 'refuse'")

    def to_dict(self) -> dict:
        """Return the tie-break as recorded in results."""
        return {"mode": self.mode, "seed": self.seed, "order": ["lowest cost", "most votes", "lot"]}


@dataclass(frozen=True)
class Reason:
    """Why a project was or was not funded: a code and its parameters, free of language.

    See :func:`pb.tally.explain.reason_text` for the wording.
    """

    code: str
    params: dict = field(default_factory=dict)


@dataclass
class ProjectOutcome:
    """The outcome for one project.

    Attributes
    ----------
    id, cost, name : as on the project
    score : int or Fraction
        Approvals or summed points.
    votes : int
        Ballots that include the project.
    selected : bool
    award : int
        Amount awarded in minor units (less than ``cost`` when ``partial``).
    partial : bool
    step : int or None
        1-based step of selection.
    reason : Reason
    """

    id: str
    cost: int
    score: int | Fraction
    votes: int
    selected: bool
    award: int
    partial: bool
    step: int | None
    reason: Reason
    name: str = ""


_FRACTION = re.compile(r"^-?\d+/\d+$")
_ID_PARAMS = frozenset({"with", "at", "tied", "name", "criterion", "area"})


def encode(value: Any) -> Any:
    """Return ``value`` with Fractions as ints (when whole) or "a/b" strings, recursively."""
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode_number(value: Any) -> Any:
    """Invert :func:`encode` for one number."""
    if isinstance(value, str) and _FRACTION.match(value):
        return Fraction(value)
    return value


def _decode_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _decode_tree(v) for k, v in value.items()}
    return decode_number(value)


def _decode_params(params: dict) -> dict:
    return {k: (v if k in _ID_PARAMS else decode_number(v)) for k, v in params.items()}


@dataclass
class Result:
    """The outcome of a tally.

    Attributes
    ----------
    rule : str
    settings : dict
        Rule options as applied.
    tie_break : dict
        ``{"mode": ..., "seed": ..., "order": [...]}``.
    budget, spent, remaining : int
    selected : list of str
        Ids in order of selection.
    projects : list of ProjectOutcome
        Selected projects in order of selection, then the rest by score (highest first),
        then id.
    ballot_type : str
    voters : int
    engine_version : str
    details : dict
        Rule-specific facts, e.g. for equal shares ``virtual_budget`` (the budget whose
        equal shares gave the outcome) and ``passes`` (runs made by the completion).
    """

    rule: str
    settings: dict
    tie_break: dict
    budget: int
    spent: int
    remaining: int
    selected: list[str]
    projects: list[ProjectOutcome]
    ballot_type: str = "approval"
    voters: int = 0
    engine_version: str = ENGINE_VERSION
    details: dict = field(default_factory=dict)

    def outcome(self, project_id: str) -> ProjectOutcome:
        """Return the outcome of one project."""
        for o in self.projects:
            if o.id == project_id:
                return o
        raise KeyError(project_id)

    def to_dict(self) -> dict:
        """Return a JSON-serialisable dict (the CLI's output).

        Fractions become "a/b" strings, or ints when whole; each reason carries its
        ``code``, ``params`` and an English ``text``.
        """
        from pb.tally.explain import reason_text

        return {
            "engine_version": self.engine_version,
            "rule": self.rule,
            "settings": encode(self.settings),
            "tie_break": dict(self.tie_break),
            "ballot_type": self.ballot_type,
            "voters": self.voters,
            "details": encode(self.details),
            "budget": self.budget,
            "spent": self.spent,
            "remaining": self.remaining,
            "selected": list(self.selected),
            "projects": [
                {
                    "id": o.id,
                    "name": o.name,
                    "cost": o.cost,
                    "score": encode(o.score),
                    "votes": o.votes,
                    "selected": o.selected,
                    "award": o.award,
                    "partial": o.partial,
                    "step": o.step,
                    "reason": {
                        "code": o.reason.code,
                        "params": encode(o.reason.params),
                        "text": reason_text(o.reason),
                    },
                }
                for o in self.projects
            ],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Result":
        """Rebuild a result from :meth:`to_dict` output."""
        return cls(
            rule=d["rule"],
            settings={k: decode_number(v) for k, v in d["settings"].items()},
            tie_break=dict(d["tie_break"]),
            budget=d["budget"],
            spent=d["spent"],
            remaining=d["remaining"],
            selected=list(d["selected"]),
            projects=[
                ProjectOutcome(
                    id=p["id"],
                    cost=p["cost"],
                    score=decode_number(p["score"]),
                    votes=p["votes"],
                    selected=p["selected"],
                    award=p["award"],
                    partial=p["partial"],
                    step=p["step"],
                    reason=Reason(p["reason"]["code"], _decode_params(p["reason"]["params"])),
                    name=p.get("name", ""),
                )
                for p in d["projects"]
            ],
            ballot_type=d.get("ballot_type", "approval"),
            voters=d.get("voters", 0),
            engine_version=d.get("engine_version", ENGINE_VERSION),
            details=_decode_tree(d.get("details", {})),
        )
