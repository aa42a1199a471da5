"""What if: the same ballots counted under every rule, side by side.

Organisers use it to choose a rule before voting (on a dry run, or any pabulib file) and to
explain the rule afterwards. Nothing is stored: a comparison changes no state.

Each rule is counted in a child process with a time limit, so that one slow count (equal
shares with its completion can take many minutes on some real files) is reported beside its
column instead of holding the request until the server gives up on it.
"""

from __future__ import annotations

import math
import multiprocessing
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from fractions import Fraction

from babel.numbers import get_currency_precision, is_currency
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from ..models import Round, User
from ..models.round import CLOSED, PUBLISHED
from ..tally import RULES, Election, Result, TallyError, TieBreak, TieError, pabulib, tally
from ..tally.profile import build_profile
from ..tally.rules import equal_shares, greedy, phragmen  # noqa: F401 - loaded before a fork
from . import access, results, tallying

DEFAULT_THRESHOLD_PERCENT = 10
# Kept under gunicorn's 30-second worker timeout, with room to read the file and draw the page.
TIME_LIMIT = 20.0
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
FILE_SCALE = 100  # pabulib amounts are read into hundredths of the currency unit


@dataclass(frozen=True)
class Options:
    """How the rules with settings are run in a comparison.

    Attributes
    ----------
    threshold_percent : Fraction or None
        Greedy with threshold: the least score, as a percentage of voters.
    threshold_votes : int or None
        Or the least score itself (a pabulib file's ``min_project_score_threshold``); used
        only when ``threshold_percent`` is None.
    completion : bool
        Equal shares: use the ``add1`` completion (spend money left over by raising every
        voter's share).
    """

    threshold_percent: Fraction | None = Fraction(DEFAULT_THRESHOLD_PERCENT)
    threshold_votes: int | None = None
    completion: bool = True


def default_options(rule: str, settings: dict | None) -> Options:
    """The options a comparison starts from: the count's own where it has them.

    A round or file counted with a threshold keeps it; one counted with equal shares keeps its
    choice of completion. Otherwise 10% of voters, and the completion on.
    """
    settings = settings or {}
    percent, votes = Fraction(DEFAULT_THRESHOLD_PERCENT), None
    if settings.get("threshold_percent") is not None:
        percent = Fraction(settings["threshold_percent"])
    elif settings.get("threshold") is not None:
        percent, votes = None, int(settings["threshold"])
    completion = settings.get("completion") == "add1" if rule == "equal-shares" else True
    return Options(threshold_percent=percent, threshold_votes=votes, completion=completion)


def rule_settings(rule: str, options: Options, actual_rule: str | None = None,
                  own_settings: dict | None = None) -> dict:
    """The engine settings for one rule of a comparison.

    The count's own rule starts from its own settings, so that with the default options its
    column reproduces the real count; the others start from none.
    """
    settings = dict(own_settings or {}) if rule == actual_rule else {}
    if rule == "greedy-threshold":
        settings.pop("threshold", None)
        settings.pop("threshold_percent", None)
        if options.threshold_percent is not None:
            settings["threshold_percent"] = options.threshold_percent
        else:
            settings["threshold"] = options.threshold_votes or 0
    if rule == "equal-shares":
        settings.pop("completion", None)
        if options.completion:
            settings["completion"] = "add1"
    return settings


@dataclass
class Problem:
    """Why a rule has no result: ``kind`` is "tie", "error" or "time"."""

    kind: str
    message: str = ""
    tied: list[str] = field(default_factory=list)


@dataclass
class RuleOutcome:
    """One rule's count in a comparison."""

    rule: str
    settings: dict
    actual: bool
    result: Result | None = None
    problem: Problem | None = None
    seconds: float = 0.0
    voters_served: int = 0  # voters with at least one project they backed funded

    @property
    def funded_count(self) -> int:
        return len(self.result.selected) if self.result else 0

    @property
    def spent(self) -> int:
        return self.result.spent if self.result else 0

    @property
    def remaining(self) -> int:
        return self.result.remaining if self.result else 0


@dataclass
class Cell:
    """A project under one rule: funded (with its award) or not; None when the rule failed."""

    funded: bool
    award: int
    partial: bool


@dataclass
class Row:
    """One project across every rule."""

    id: str
    name: str
    cost: int
    votes: int
    score: int | Fraction
    cells: dict[str, Cell | None]
    differs: bool


@dataclass
class Comparison:
    """Every rule's count of the same ballots, and each project side by side."""

    budget: int
    voters: int
    ballot_type: str
    points_based: bool
    actual_rule: str | None
    options: Options
    outcomes: list[RuleOutcome]
    rows: list[Row]
    threshold_score: int  # the least score the threshold rule asked for, rounded up
    own_settings: dict  # the settings the count's own rule was run with

    @property
    def names(self) -> dict[str, str]:
        return {row.id: row.name for row in self.rows}

    @property
    def differing(self) -> list[Row]:
        return [row for row in self.rows if row.differs]

    @property
    def actual_options_differ(self) -> bool:
        """The count's own rule is run here with settings other than its own."""
        own = next((o for o in self.outcomes if o.actual), None)
        return own is not None and own.settings != self.own_settings


def _backers(profile) -> Counter:
    """How many voters backed each set of projects (points above zero count as backing)."""
    if profile.points is None:
        return Counter(profile.choices)
    return Counter(tuple(j for j, v in zip(ix, pts) if v > 0)
                   for ix, pts in zip(profile.choices, profile.points))


def _served(backers: Counter, funded: set[int]) -> int:
    return sum(n for chosen, n in backers.items() if any(j in funded for j in chosen))


def _count(election: Election, rule: str, settings: dict, tie_break: TieBreak):
    start = time.perf_counter()
    result, problem = None, None
    try:
        result = tally(election, rule, settings, tie_break)
    except TieError as error:
        problem = Problem("tie", error.message, list(error.tied))
    except TallyError as error:
        problem = Problem("error", error.message)
    return rule, result, problem, time.perf_counter() - start


def _child(conn, election, plan, tie_break) -> None:
    for rule, settings in plan:
        try:
            conn.send(_count(election, rule, settings, tie_break))
        except Exception as error:  # noqa: BLE001 - reported beside the rule, never a crash
            conn.send((rule, None, Problem("error", f"{type(error).__name__}: {error}"), 0.0))
    conn.close()


def _run(election: Election, plan: list[tuple[str, dict]], tie_break: TieBreak,
         time_limit: float | None) -> dict:
    """Count every rule of ``plan``; those not done within ``time_limit`` seconds get a Problem."""
    if time_limit is None or "fork" not in multiprocessing.get_all_start_methods():
        return {rule: _count(election, rule, settings, tie_break)[1:] for rule, settings in plan}
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(sender, election, plan, tie_break), daemon=True)
    started = time.monotonic()
    child.start()
    sender.close()
    done: dict = {}
    try:
        while len(done) < len(plan):
            left = started + time_limit - time.monotonic()
            if left <= 0 or not receiver.poll(left):
                break
            try:
                rule, result, problem, seconds = receiver.recv()
            except EOFError:
                break
            done[rule] = (result, problem, seconds)
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    elapsed = time.monotonic() - started
    for rule, _settings in plan:
        done.setdefault(rule, (None, Problem("time", f"{time_limit:g}"), elapsed))
    return done


def compare(election: Election, tie_break: TieBreak, options: Options | None = None,
            actual_rule: str | None = None, own_settings: dict | None = None,
            time_limit: float | None = TIME_LIMIT) -> Comparison:
    """Count the same ballots under every rule and set the outcomes side by side.

    Parameters
    ----------
    election : Election
    tie_break : TieBreak
        Used by every rule; in mode ``refuse`` a rule whose outcome turns on a tie gets a
        Problem of kind "tie" instead of a result.
    options : Options, optional
        Defaults to :func:`default_options` of ``actual_rule`` and ``own_settings``.
    actual_rule : str, optional
        The rule the round (or file) was counted with, marked in the comparison.
    own_settings : dict, optional
        That rule's settings.
    time_limit : float or None
        Seconds for all the counts together; rules not counted by then get a Problem of
        kind "time". None counts in this process without a limit.

    Returns
    -------
    Comparison

    Raises
    ------
    TallyError
        When the election itself cannot be counted (a ballot breaking the round's limits).
    """
    if options is None:
        options = default_options(actual_rule or "", own_settings)
    profile = build_profile(election)
    election = replace(election, _profile=profile)
    # Quick rules first, so a slow count leaves the others done.
    order = ("greedy", "greedy-no-skip", "greedy-threshold", "phragmen", "equal-shares")
    plan = [(rule, rule_settings(rule, options, actual_rule, own_settings)) for rule in order]
    counted = _run(election, plan, tie_break, time_limit)
    backers = _backers(profile)
    index = {pid: j for j, pid in enumerate(profile.ids)}
    outcomes = []
    for rule in RULES:
        result, problem, seconds = counted[rule]
        outcome = RuleOutcome(rule=rule, settings=dict(plan[order.index(rule)][1]),
                              actual=rule == actual_rule, result=result, problem=problem,
                              seconds=seconds)
        if result is not None:
            outcome.voters_served = _served(backers, {index[pid] for pid in result.selected})
        outcomes.append(outcome)
    rows = _rows(profile, outcomes)
    if options.threshold_percent is not None:
        least = options.threshold_percent * profile.voters / 100
    else:
        least = Fraction(options.threshold_votes or 0)
    return Comparison(budget=profile.budget, voters=profile.voters, ballot_type=profile.ballot_type,
                      points_based=profile.points_based, actual_rule=actual_rule, options=options,
                      outcomes=outcomes, rows=rows, threshold_score=math.ceil(least),
                      own_settings=dict(own_settings or {}))


def _rows(profile, outcomes: list[RuleOutcome]) -> list[Row]:
    awards = {}
    for outcome in outcomes:
        if outcome.result is not None:
            awards[outcome.rule] = {p.id: p for p in outcome.result.projects}
    order = sorted(range(len(profile.ids)), key=lambda j: (-profile.scores[j], profile.ids[j]))
    rows = []
    for j in order:
        pid = profile.ids[j]
        cells: dict[str, Cell | None] = {}
        for outcome in outcomes:
            got = awards.get(outcome.rule, {}).get(pid)
            cells[outcome.rule] = (None if got is None
                                   else Cell(got.selected, got.award, got.partial))
        seen = {(c.funded, c.award) for c in cells.values() if c is not None}
        rows.append(Row(id=pid, name=profile.names[j] or pid, cost=profile.costs[j],
                        votes=profile.votes[j], score=profile.scores[j], cells=cells,
                        differs=len(seen) > 1))
    return rows


# Rounds.
def round_ready(user: User | None, round_: Round) -> bool:
    """The round has counted ballots this person may compare: closed or published, and the
    embargo lets them see the count."""
    return (round_.status in (CLOSED, PUBLISHED) and access.can_organise(user, round_)
            and results.visible_result(user, round_) is not None)


def round_basis(round_: Round) -> tuple[str, dict, TieBreak]:
    """The rule, settings and tie-break the round was counted with (its stored count's)."""
    stored = tallying.latest_result(round_)
    if stored is not None:
        tb = stored.tie_break or {}
        return (stored.rule, dict(stored.rule_settings or {}),
                TieBreak(mode=tb.get("mode", "chain"), seed=tb.get("seed", "")))
    return (round_.rule, dict(round_.rule_settings or {}),
            TieBreak(mode=round_.tie_break, seed=round_.tie_break_seed or ""))


def compare_round(round_: Round, options: Options | None = None,
                  time_limit: float | None = TIME_LIMIT) -> Comparison:
    """Compare the rules on a closed round's own ballots, with its tie-break and seed."""
    rule, settings, tie_break = round_basis(round_)
    return compare(tallying.build_election(round_), tie_break, options, rule, settings,
                   time_limit=time_limit)


# Uploaded files.
@dataclass
class Upload:
    """An uploaded pabulib file, read."""

    election: Election
    meta: dict
    info: dict
    filename: str
    currency: str | None  # None: amounts are shown as plain numbers

    @property
    def title(self) -> str:
        parts = [self.meta.get(k, "").strip() for k in ("country", "unit", "subunit", "instance")]
        return ", ".join(p for p in parts if p) or self.filename


def may_dry_run(user: User | None) -> bool:
    """Organisers and administrators of any council may compare the rules on a file."""
    if user is None or not user.is_authenticated:
        return False
    return any(m.role in access.ORGANISING_ROLES for m in user.memberships)


def read_upload(data: bytes, filename: str = "", field_name: str = "file") -> Upload:
    """Read an uploaded pabulib file.

    Raises
    ------
    DomainError
        On ``field_name``, saying what is wrong and on which line.
    """
    if not filename.lower().endswith(".pb"):
        raise DomainError(str(_l("Choose a pabulib file: its name ends in .pb.")), field=field_name)
    if not data.strip():
        raise DomainError(str(_l("The file is empty. Choose a pabulib file with its sections "
                                 "META, PROJECTS and VOTES.")), field=field_name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(str(_l("The file must be %(size)s MB or smaller.",
                                 size=MAX_UPLOAD_BYTES // (1024 * 1024))), field=field_name)
    try:
        election, meta, info = pabulib.read(data, scale=FILE_SCALE)
    except UnicodeDecodeError:
        raise DomainError(str(_l("The file is not text in UTF-8: it is not a pabulib file.")),
                          field=field_name) from None
    except TallyError as error:
        if error.line is not None:
            message = _l("Line %(line)s of the file: %(problem)s.", line=error.line,
                         problem=error.message)
        else:
            message = _l("The file cannot be read: %(problem)s.", problem=error.message)
        raise DomainError(str(message), field=field_name) from None
    code = (meta.get("currency") or "").strip().upper()
    currency = code if (re.fullmatch(r"[A-Z]{3}", code) and is_currency(code)
                        and 10 ** get_currency_precision(code) == FILE_SCALE) else None
    return Upload(election=election, meta=meta, info=info, filename=filename, currency=currency)


def compare_upload(upload: Upload, options: Options | None = None,
                   time_limit: float | None = TIME_LIMIT) -> Comparison:
    """Compare the rules on an uploaded file, with the tie-break chain and no seed.

    The file's own rule (META ``rule``, when it names one of ours) is marked.
    """
    pab_rule = upload.info.get("pabulib_rule", "")
    actual = upload.info["rule"] if pab_rule in pabulib.RULES else None
    return compare(upload.election, TieBreak("chain", ""), options, actual,
                   upload.info.get("settings") or {}, time_limit=time_limit)
