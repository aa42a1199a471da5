"""Read and write pabulib ``.pb`` files (sections META, PROJECTS, VOTES).

Fields are ``;`` separated with CSV quoting; a BOM and any mix of CRLF and LF line ends are
accepted. Money is converted to integer minor units (``scale`` per currency unit, 100 by
default), the unit the engine counts in.
"""

from __future__ import annotations

import csv
import gc
import io
import os
from fractions import Fraction
from pathlib import Path

from pb.tally.model import Ballot, Election, Project, TallyError
from pb.tally.profile import build_profile

VOTE_TYPES = {
    "approval": "approval",
    "choose-1": "choose-one",
    "choose-one": "choose-one",
    "ordinal": "ranking",
    "ranking": "ranking",
    "cumulative": "points",
    "points": "points",
    "scoring": "scoring",
    "knapsack": "knapsack",
}
OUR_VOTE_TYPES = {
    "approval": "approval", "knapsack": "approval", "choose-one": "choose-1",
    "ranking": "ordinal", "points": "cumulative", "scoring": "scoring",
}
RULES = {
    "greedy": "greedy",
    "greedy-no-skip": "greedy-no-skip",
    "greedy-threshold": "greedy-threshold",
    "equalshares": "equal-shares",
    "equalshares/add1": "equal-shares",
    "phragmen": "phragmen",
    "sequential-phragmen": "phragmen",
}


class PabulibError(TallyError):
    """A ``.pb`` file that cannot be read; ``line`` is the 1-based line at fault."""

    def __init__(self, message: str, line: int | None = None, source: str | None = None):
        self.source = source
        where = f"{source}: " if source else ""
        TallyError.__init__(self, message, line)
        self.args = (f"{where}line {line}: {message}" if line is not None else f"{where}{message}",)

    def __str__(self) -> str:
        return self.args[0]


def _split(line: str) -> list[str]:
    if '"' in line:
        return next(csv.reader([line], delimiter=";"))
    return line.split(";")


def _money(text: str, scale: int, what: str, line: int) -> int:
    try:
        value = Fraction(text.strip()) * scale
    except (ValueError, ZeroDivisionError):
        raise PabulibError(f"{what} {text!r} is not a number", line) from None
    if value.denominator != 1:
        raise PabulibError(f"{what} {text!r} has more decimals than the currency allows", line)
    if value <= 0:
        raise PabulibError(f"{what} must be positive, got {text!r}", line)
    return int(value)


def _int(text: str, what: str, line: int) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise PabulibError(f"{what} {text!r} is not a whole number", line) from None


def _load(source) -> tuple[str, str | None]:
    if isinstance(source, bytes):
        return source.decode("utf-8-sig"), None
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source
                                           and source.strip().lower() != "meta"):
        path = Path(source)
        return path.read_bytes().decode("utf-8-sig"), path.name
    return source.lstrip("\ufeff"), None


def read(source, scale: int = 100):
    """Read a pabulib election.

    Parameters
    ----------
    source : str, bytes or os.PathLike
        A path, or the file's content (a str containing a newline, or bytes).
    scale : int
        Minor units per currency unit (100: costs in grosze, pence, cents).

    Returns
    -------
    election : Election
        Validated; ballot types and limits mapped from META (``min_length``, ``max_length``,
        ``max_sum_points``, ``min_sum_points``, ``max_points``, ``min_points``; an
        ``approval`` file's ``max_sum_cost`` is kept in ``meta`` but not enforced, since
        real files break it).
    meta : dict
        META as read (str to str).
    info : dict
        ``selected``: official winners from the PROJECTS ``selected`` column (list of ids
        or None); ``rule`` and ``settings``: the META rule mapped onto ours (``greedy`` for
        rules the file does not fully describe); ``pabulib_rule``; ``scale``; ``projects``:
        each project's row.

    Raises
    ------
    PabulibError
        On any malformed or invalid content; the message names the line.
    """
    text, name = _load(source)
    collecting = gc.isenabled()
    gc.disable()  # the parser allocates one object per ballot and no cycles
    try:
        return _parse(text, scale)
    except PabulibError as e:
        if name:
            raise PabulibError(e.message, e.line, name) from None
        raise
    finally:
        if collecting:
            gc.enable()


_HEADINGS = ("META", "PROJECTS", "VOTES")


def _votes(lines: list, number: int, header: list, ballots: list) -> int:
    """Read VOTES rows from ``lines[number:]`` up to the next section; return where it ended."""
    vote_col = header.index("vote")
    points_col = header.index("points") if "points" in header else None
    width = len(header)
    total = len(lines)
    end = next((k for k in range(number, total)
                if len(lines[k]) < 12 and lines[k].strip().upper() in _HEADINGS), total)
    block = [line[:-1] if line.endswith("\r") else line for line in lines[number:end]]
    numbers = [k for k, line in enumerate(block, start=number + 1) if line.strip()]
    if len(numbers) != len(block):
        block = [lines[k - 1].rstrip("\r") for k in numbers]
    if any('"' in line for line in block):
        rows = [_split(line) for line in block]
    else:
        rows = [line.split(";") for line in block]
    if any(len(row) != width for row in rows):
        k = next(k for k, row in zip(numbers, rows) if len(row) != width)
        raise PabulibError(f"expected {width} fields, found {len(next(r for r in rows if len(r) != width))}", k)
    cache: dict[str, tuple] = {}

    def parse_vote(vote: str) -> tuple:
        got = cache.get(vote)
        if got is None:
            text = vote.strip()
            got = tuple(c.strip() for c in text.split(",")) if text else ()
            cache[vote] = got
        return got

    choices = [parse_vote(row[vote_col]) for row in rows]
    if points_col is None:
        ballots.extend(map(Ballot, choices, [None] * len(rows), numbers))
        return end
    points_cache: dict[str, tuple] = {}
    points = []
    for k, row in zip(numbers, rows):
        text = row[points_col]
        got = points_cache.get(text)
        if got is None:
            stripped = text.strip()
            try:
                got = tuple(int(p) for p in stripped.split(",")) if stripped else ()
            except ValueError:
                raise PabulibError(f"points {stripped!r} are not whole numbers", k) from None
            points_cache[text] = got
        points.append(got)
    ballots.extend(map(Ballot, choices, points, numbers))
    return end


def _parse(text: str, scale: int):
    lines = text.split("\n")
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    rows: dict[str, dict] = {}
    project_lines: dict[str, int] = {}
    ballots: list[Ballot] = []
    section = None
    header = None
    seen = set()
    number = 0
    total = len(lines)
    while number < total:
        line = lines[number].rstrip("\r")
        number += 1
        if not line.strip():
            continue
        tag = line.strip().upper()
        if tag in ("META", "PROJECTS", "VOTES") and ";" not in line:
            if tag in seen:
                raise PabulibError(f"section {tag} appears twice", number)
            seen.add(tag)
            section, header = tag, None
            continue
        if section is None:
            raise PabulibError("expected a section heading META, PROJECTS or VOTES", number)
        fields = _split(line)
        if header is None:
            header = [h.strip() for h in fields]
            if section == "META" and header[:2] != ["key", "value"]:
                raise PabulibError("the META header must be 'key;value'", number)
            if section == "PROJECTS" and ("project_id" not in header or "cost" not in header):
                raise PabulibError("the PROJECTS header needs 'project_id' and 'cost'", number)
            if section == "VOTES":
                if "vote" not in header:
                    raise PabulibError("the VOTES header needs 'vote'", number)
                number = _votes(lines, number, header, ballots)
            continue
        if len(fields) != len(header):
            raise PabulibError(f"expected {len(header)} fields, found {len(fields)}", number)
        if section == "META":
            meta[fields[0].strip()] = fields[1].strip()
            meta_lines[fields[0].strip()] = number
        else:
            row = dict(zip(header, fields))
            pid = row["project_id"].strip()
            if not pid:
                raise PabulibError("empty project_id", number)
            if pid in rows:
                raise PabulibError(f"duplicate project id {pid!r}", number)
            row["_cost"] = _money(row["cost"], scale, f"the cost of project {pid!r}", number)
            rows[pid] = row
            project_lines[pid] = number
    for tag in ("META", "PROJECTS", "VOTES"):
        if tag not in seen:
            raise PabulibError(f"section {tag} is missing", len(lines))
    if "budget" not in meta:
        raise PabulibError("META has no budget", meta_lines.get("key", 1))
    budget = _money(meta["budget"], scale, "the budget", meta_lines["budget"])
    vt_raw = meta.get("vote_type", "approval").strip().lower()
    if vt_raw not in VOTE_TYPES:
        raise PabulibError(f"unknown vote_type {vt_raw!r}", meta_lines.get("vote_type"))
    ballot_type = VOTE_TYPES[vt_raw]

    def meta_int(key):
        if key not in meta or meta[key] == "":
            return None
        return _int(meta[key], key, meta_lines[key])

    limits = dict(
        min_choices=meta_int("min_length"),
        max_choices=meta_int("max_length"),
        max_total_points=meta_int("max_sum_points"),
        min_total_points=meta_int("min_sum_points"),
        max_points=meta_int("max_points"),
    )
    if meta_int("min_points") is not None:
        limits["min_points"] = meta_int("min_points")
    if ballot_type == "knapsack" and "max_sum_cost" in meta:
        limits["max_cost"] = _money(meta["max_sum_cost"], scale, "max_sum_cost", meta_lines["max_sum_cost"])
    if ballot_type in ("approval", "knapsack", "choose-one"):
        ballots = [b if b.points is None else Ballot(b.choices, None, b.line) for b in ballots]
    projects = [Project(id=pid, cost=row["_cost"], name=row.get("name", "").strip(),
                        area=(row.get("district") or row.get("category") or None))
                for pid, row in rows.items()]
    election = Election(budget=budget, projects=projects, ballots=ballots,
                        ballot_type=ballot_type, **limits)
    try:
        profile = build_profile(election)
    except PabulibError:
        raise
    except TallyError as e:
        line = e.line
        if line is None and "budget" in e.message:
            line = meta_lines.get("budget")
        raise PabulibError(e.message, line) from None
    object.__setattr__(election, "_profile", profile)
    pab_rule = meta.get("rule", "").strip()
    rule = RULES.get(pab_rule, "greedy")
    settings: dict = {}
    if pab_rule == "equalshares/add1":
        settings["completion"] = "add1"
    if rule.startswith("greedy") and meta.get("min_project_score_threshold"):
        settings["threshold"] = _int(meta["min_project_score_threshold"], "min_project_score_threshold",
                                     meta_lines["min_project_score_threshold"])
    if rule == "greedy-threshold" and "threshold" not in settings:
        rule = "greedy"
    selected = None
    if rows and all("selected" in row for row in rows.values()):
        selected = sorted(pid for pid, row in rows.items() if row["selected"].strip() == "1")
    info = {
        "selected": selected,
        "rule": rule,
        "settings": settings,
        "pabulib_rule": pab_rule,
        "scale": scale,
        "projects": {pid: {k: v for k, v in row.items() if not k.startswith("_")} for pid, row in rows.items()},
    }
    return election, meta, info


def _amount(minor: int, scale: int) -> str:
    value = Fraction(minor, scale)
    if value.denominator == 1:
        return str(int(value))
    digits = len(str(scale)) - 1
    return f"{minor // scale}.{minor % scale:0{digits}d}"


def write(election: Election, meta: dict | None = None, selected=None, scale: int = 100) -> str:
    """Write an election as a pabulib file.

    Parameters
    ----------
    election : Election
    meta : dict, optional
        Extra META keys (str to str); ``budget``, ``num_projects``, ``num_votes``,
        ``vote_type`` and the ballot limits are filled in from the election.
    selected : iterable of str, optional
        Ids to mark in a ``selected`` column.
    scale : int
        Minor units per currency unit.

    Returns
    -------
    str
        The file's content, LF line ends.
    """
    profile = build_profile(election)
    m = dict(meta or {})
    m.update({
        "budget": _amount(election.budget, scale),
        "num_projects": str(len(election.projects)),
        "num_votes": str(len(election.ballots)),
        "vote_type": OUR_VOTE_TYPES[election.ballot_type],
    })
    for key, value in (("min_length", election.min_choices), ("max_length", election.max_choices),
                       ("max_sum_points", election.max_total_points),
                       ("min_sum_points", election.min_total_points),
                       ("max_points", election.max_points)):
        if value is not None:
            m[key] = str(value)
    if election.min_points:
        m["min_points"] = str(election.min_points)
    if election.ballot_type == "knapsack":
        m["max_sum_cost"] = _amount(election.max_cost if election.max_cost is not None else election.budget, scale)
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    w.writerow(["key", "value"])
    for k, v in m.items():
        w.writerow([k, v])
    out.write("PROJECTS\n")
    chosen = set(selected) if selected is not None else None
    header = ["project_id", "cost", "votes", "name"] + (["selected"] if chosen is not None else [])
    if any(p.area for p in election.projects):
        header.insert(4, "district")
    w.writerow(header)
    votes = dict(zip(profile.ids, profile.votes))
    for p in sorted(election.projects, key=lambda p: p.id):
        row = [p.id, _amount(p.cost, scale), votes[p.id], p.name]
        if "district" in header:
            row.append(p.area or "")
        if chosen is not None:
            row.append(1 if p.id in chosen else 0)
        w.writerow(row)
    out.write("VOTES\n")
    with_points = any(b.points is not None for b in election.ballots)
    w.writerow(["voter_id", "vote"] + (["points"] if with_points else []))
    for i, b in enumerate(election.ballots, start=1):
        row = [i, ",".join(b.choices)]
        if with_points:
            row.append(",".join(map(str, b.points or ())))
        w.writerow(row)
    return out.getvalue()
