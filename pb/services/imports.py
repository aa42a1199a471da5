"""Importing a pabulib election (`pb import FILE.pb --round SLUG`) as a closed, counted round.

The file's projects become shortlisted proposals (keeping the file's project ids as
`external_id`, so an export writes them back), its ballots become ballots of the channel
"imported" with no credential, and the round is counted through the normal path
(:func:`pb.services.tallying.tally_round`). The round's ballot settings are chosen so that the
platform holds every ballot to the same limits as the file, and the import checks that the
ballots stored are exactly the file's before it lets them stand.

Everything happens in the caller's transaction: on any problem the session is rolled back, a
:class:`~pb.errors.DomainError` says what is wrong (naming the line of the file where there is
one) and nothing is stored.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

from babel.numbers import list_currencies
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import Ballot, BallotChoice, Council, Proposal, Round, User
from ..models.proposal import SHORTLISTED
from ..models.round import CLOSED, TIE_BREAKS
from ..models.types import utcnow
from ..money import minor_digits
from ..tally import TallyError, pabulib
from ..text import slugify
from . import audit, tallying
from .voting import ALPHABET

CHANNEL = "imported"
DEFAULT_CURRENCY = "GBP"
CHUNK = 5_000  # rows per bulk INSERT
TITLE_MAX = 200  # Round.title, Proposal.title, Proposal.proposer_name
EXTERNAL_ID_MAX = 80  # Proposal.external_id
SEED_MAX = 64  # Round.tie_break_seed


def import_election(source: str | os.PathLike | bytes, slug: str, council: Council | None = None,
                    *, title: str | None = None, user: User | None = None,
                    filename: str | None = None) -> Round:
    """Load a pabulib election as a closed round with its ballots, and count it.

    Parameters
    ----------
    source : path or bytes
        The ``.pb`` file, or its content.
    slug : str
        The new round's slug: lower-case letters, digits and hyphens, not yet taken.
    council : Council, optional
        The council that runs the round; by default :func:`default_council`.
    title : str, optional
        The round's title; by default META ``description``, else unit, subunit and instance,
        else the slug.
    user : User, optional
        Who imports (None: the system, as from the command line); written to the audit log.
        A user must organise the whole council.
    filename : str, optional
        The file's name for messages and the audit log when `source` is bytes.

    Returns
    -------
    Round
        Closed, with its stored count (:func:`pb.services.tallying.latest_result`).

    Raises
    ------
    DomainError
        On an unreadable or malformed file (the message names the line), a slug that is not
        valid or already taken, or ballots the platform cannot hold as the file states them.
        The session has then been rolled back.
    """
    try:
        return _import(source, slug, council, title=title, user=user, filename=filename)
    except DomainError:
        db.session.rollback()
        raise
    except SQLAlchemyError as error:
        db.session.rollback()
        raise DomainError(str(_l("The election could not be stored (%(error)s), so nothing "
                                 "was imported.", error=type(error).__name__))) from error


def default_council(meta: dict[str, str]) -> Council:
    """The first council; if there is none yet, a new one named after META ``unit``."""
    council = db.session.scalars(select(Council).order_by(Council.id).limit(1)).first()
    if council is not None:
        return council
    name = (meta.get("unit") or "").strip()[:TITLE_MAX] or "Imported elections"
    council = Council(name=name, slug=slugify(name) or "council")
    db.session.add(council)
    db.session.flush()
    return council


def _import(source, slug, council, *, title, user, filename) -> Round:
    data, name = _read(source, filename)
    text = _decode(data, name)
    currency = _currency(text, name)
    try:
        election, meta, info = pabulib.read(data, scale=10 ** minor_digits(currency))
    except TallyError as error:
        raise _problem(name, error.line, error.message) from None
    _check_slug(slug)
    settings = _ballot_settings(election, name)
    _check_projects(election, name)
    seed = meta.get("tie_break_seed", "")
    if len(seed) > SEED_MAX:
        raise _problem(name, None, _l("META tie_break_seed is longer than %(n)s characters.",
                                      n=SEED_MAX))
    if council is None:
        council = default_council(meta)
    if user is not None:
        from .rounds import organising_scopes

        if (council, None) not in organising_scopes(user):
            raise NotAllowed(str(_l("Only an organiser of the whole council can import a "
                                    "round.")))

    opened, closed = _dates(meta)
    round_ = Round(
        council=council, partnership=None, slug=slug, status=CLOSED,
        title=_clip((title or "").strip(), TITLE_MAX) or _title(meta, slug),
        description=f"Imported from the pabulib file {name}.",
        pot=election.budget, currency=currency,
        ballot_type=election.ballot_type, ballot_settings=settings,
        rule=info["rule"], rule_settings=dict(info["settings"]),
        tie_break=meta.get("tie_break") if meta.get("tie_break") in TIE_BREAKS else "chain",
        tie_break_seed=seed, voting_methods=[], eligible_districts=[], categories=[],
        voting_opened_at=opened, voting_closed_at=closed,
    )
    db.session.add(round_)
    db.session.flush()
    proposer = (meta.get("unit") or "").strip()[:TITLE_MAX]
    proposals = {}
    for p in election.projects:
        label = p.name.strip() or f"Project {p.id}"
        proposals[p.id] = Proposal(
            round=round_, partnership=None, whole_round=True, title=_clip(label, TITLE_MAX),
            description=label if len(label) > TITLE_MAX else "", cost=p.cost,
            status=SHORTLISTED, external_id=p.id, proposer_name=proposer)
    db.session.add_all(proposals.values())
    db.session.flush()
    ids = {pid: proposal.id for pid, proposal in proposals.items()}
    _store_ballots(round_, election, ids, closed)

    try:
        result = tallying.tally_round(round_)
    except TallyError as error:
        raise _problem(name, error.line, _l(
            "the platform cannot count these ballots as the file states them: %(error)s",
            error=error.message)) from None
    if (result.ballot_count != len(election.ballots)
            or result.ballots_sha256 != _digest(election, ids)):
        raise _problem(name, None, _l("the ballots stored differ from the file's."))
    audit.record(user, "round.imported", round_, file=name, sha256=hashlib.sha256(data).hexdigest(),
                 ballots=result.ballot_count, projects=len(ids), currency=currency,
                 rule=round_.rule, rule_settings=round_.rule_settings, spent=result.spent,
                 ballots_sha256=result.ballots_sha256)
    return round_


def _read(source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), filename or "the file"
    path = Path(source)
    try:
        return path.read_bytes(), filename or path.name
    except OSError as error:
        raise DomainError(str(_l("Cannot read %(path)s: %(error)s.", path=str(path),
                                 error=error.strerror or str(error)))) from None


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise _problem(name, line, _l("the file is not UTF-8 text.")) from None


def _problem(name: str, line: int | None, message) -> DomainError:
    """A problem with the file: "name: line N: what is wrong. Nothing was imported." """
    if line is None:
        return DomainError(str(_l("%(file)s: %(problem)s Nothing was imported.", file=name,
                                  problem=_sentence(message))))
    return DomainError(str(_l("%(file)s: line %(line)s: %(problem)s Nothing was imported.",
                              file=name, line=line, problem=_sentence(message))))


def _sentence(message) -> str:
    text = str(message).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _currency(text: str, name: str) -> str:
    """META ``currency`` (a three-letter code), else GBP; read before the amounts."""
    number = 0
    in_meta = False
    for number, line in enumerate(text.split("\n"), start=1):
        tag = line.strip().upper()
        if tag in ("PROJECTS", "VOTES"):
            break
        if tag == "META":
            in_meta = True
            continue
        if in_meta and line.split(";", 1)[0].strip() == "currency":
            fields = next(csv.reader([line.rstrip("\r")], delimiter=";"))
            code = (fields[1] if len(fields) > 1 else "").strip().upper()
            if not re.fullmatch(r"[A-Z]{3}", code) or code not in list_currencies():
                raise _problem(name, number, _l(
                    "currency “%(code)s” is not a three-letter currency code such as GBP, EUR "
                    "or PLN.", code=code))
            return code
    return DEFAULT_CURRENCY


def _check_slug(slug: str) -> None:
    from .rounds import RESERVED_SLUGS

    if not slug or slugify(slug) != slug:
        raise DomainError(str(_l("The round slug “%(slug)s” is not valid: use lower-case "
                                 "letters, digits and hyphens, like warsaw-2023.", slug=slug)))
    if slug in RESERVED_SLUGS:
        raise DomainError(str(_l("The round slug “%(slug)s” is a reserved word: choose "
                                 "another.", slug=slug)))
    if db.session.scalars(select(Round.id).where(Round.slug == slug)).first() is not None:
        raise DomainError(str(_l("There is already a round “%(slug)s”: choose another slug.",
                                 slug=slug)))


def _ballot_settings(election, name: str) -> dict:
    """Ballot settings under which the platform's ballot rules
    (:meth:`pb.services.ballots.BallotRules.for_round`) equal the file's limits."""
    kind = election.ballot_type
    ballots = election.ballots
    for b in ballots:
        if not b.choices:
            raise _problem(name, b.line, _l(
                "the ballot chooses no project. The platform keeps no empty ballots, so its "
                "count would differ from the file's."))
    settings: dict = {}
    if election.min_choices and election.min_choices > 1:
        settings["min_choices"] = election.min_choices
    if election.max_choices is not None:
        settings["max_choices"] = election.max_choices
    longest = max((len(b.choices) for b in ballots), default=1)
    if kind == "choose-one":
        return {}
    if kind == "knapsack" and election.max_cost is not None:
        settings["budget_limit"] = election.max_cost
    elif kind == "ranking":
        explicit = next((b for b in ballots if b.points is not None), None)
        if explicit is not None:
            raise _problem(name, explicit.line, _l(
                "the ranking ballot gives its own points, but the platform's ranking ballots "
                "score by place only."))
        places = election.max_choices if election.max_choices is not None else longest
        if places > len(election.projects):
            raise _problem(name, None, _l(
                "the ranking ballots have %(places)s places but there are only %(projects)s "
                "projects. The platform cannot score more places than projects.",
                places=places, projects=len(election.projects)))
        settings["max_choices"] = places
    elif kind == "scoring":
        seen = [v for b in ballots for v in b.points]
        settings["min_points"] = election.min_points
        settings["max_points"] = (election.max_points if election.max_points is not None
                                  else max(seen + [election.min_points + 1]))
    elif kind == "points":
        totals = [sum(b.points) for b in ballots]
        settings["max_total_points"] = (election.max_total_points
                                        if election.max_total_points is not None
                                        else max(totals + [1]))
        if election.min_total_points is not None:
            settings["min_total_points"] = election.min_total_points
        if election.max_points is not None:
            settings["max_points"] = election.max_points
    return settings


def _check_projects(election, name: str) -> None:
    for p in election.projects:
        if len(p.id) > EXTERNAL_ID_MAX:
            raise _problem(name, None, _l("project id “%(id)s…” is longer than %(n)s "
                                          "characters.", id=p.id[:20], n=EXTERNAL_ID_MAX))


def _store_ballots(round_: Round, election, ids: dict[str, int], cast_at: datetime) -> None:
    """Every ballot and its choices, written in bulk.

    Ballots go in first; their ids are then read back in one query, keyed by their receipts
    (random and unique), so no row needs a round trip of its own.
    """
    receipts = _receipts(len(election.ballots))
    _bulk_insert(Ballot.__table__, BALLOT_COLUMNS, [
        (round_.id, None, receipt, CHANNEL, False, None, cast_at, None) for receipt in receipts])
    ballot_ids = dict(db.session.execute(
        select(Ballot.receipt, Ballot.id).where(Ballot.round_id == round_.id)).all())
    points = election.ballot_type in ("scoring", "points")
    ranking = election.ballot_type == "ranking"
    choices = []
    for receipt, b in zip(receipts, election.ballots, strict=True):
        ballot_id = ballot_ids[receipt]
        for position, project in enumerate(b.choices):
            value = b.points[position] if points else (position + 1 if ranking else 1)
            choices.append((ballot_id, ids[project], position, value))
    _bulk_insert(BallotChoice.__table__, CHOICE_COLUMNS, choices)
    _analyse(Ballot.__table__, BallotChoice.__table__)


def _analyse(*tables) -> None:
    """Tell PostgreSQL's planner how many rows the tables now hold.

    Until autovacuum gets to them (a minute or more later), the planner takes a table that has
    just had a city's ballots loaded for a handful of rows, and the count that follows and the
    results page choose plans that sort on disk. ANALYZE runs in this transaction and sees its
    rows; a rollback leaves nothing of the import. SQLite's planner does without.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        quote = connection.dialect.identifier_preparer.quote
        connection.exec_driver_sql(f"ANALYZE {', '.join(quote(t.name) for t in tables)}")


BALLOT_COLUMNS = ("round_id", "credential_id", "receipt", "channel", "assisted", "district",
                  "cast_at", "superseded_at")
CHOICE_COLUMNS = ("ballot_id", "proposal_id", "position", "value")


def _bulk_insert(table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT many rows in the session's transaction.

    One statement is compiled once and handed to the driver with all the rows: COPY on
    PostgreSQL (psycopg), the driver's executemany elsewhere. Each value first goes through its
    column's bind processing, so it is stored exactly as an ORM INSERT would store it (aware
    datetimes as naive UTC, for instance). Going below SQLAlchemy's per-row parameter handling
    makes a 130,000-ballot file several times faster to import.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    processors = [(k, table.c[name].type.bind_processor(dialect))
                  for k, name in enumerate(columns)]
    # Most processed values repeat (every ballot's cast_at), so each is processed once.
    processors = [(k, process, {}) for k, process in processors if process is not None]
    if processors:
        rows = [_processed(row, processors) for row in rows]
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        quote = dialect.identifier_preparer.quote
        statement = (f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                     "FROM STDIN")
        driver = connection.connection.driver_connection
        try:
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError(statement, None, error) from error
        return
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    if compiled.positional:
        order = [columns.index(key) for key in compiled.positiontup]
        if order != list(range(len(columns))):
            rows = [tuple(row[k] for k in order) for row in rows]
        params = rows
    else:
        params = [dict(zip(columns, row)) for row in rows]
    for start in range(0, len(params), CHUNK):
        connection.exec_driver_sql(str(compiled), params[start:start + CHUNK])


def _processed(row: tuple, processors: list) -> tuple:
    values = list(row)
    for k, process, done in processors:
        value = values[k]
        if value is not None:
            got = done.get(value)
            if got is None:
                got = done[value] = process(value)
            values[k] = got
    return tuple(values)


def _digest(election, ids: dict[str, int]) -> str:
    """:func:`pb.services.tallying.ballots_digest` of the file's ballots as the platform holds
    them (proposal ids; points only on scoring and points ballots), each distinct ballot
    encoded once."""
    with_points = election.ballot_type in ("scoring", "points")
    encoded: dict[tuple, str] = {}
    lines = []
    for b in election.ballots:
        key = (b.choices, b.points if with_points else None)
        line = encoded.get(key)
        if line is None:
            line = encoded[key] = json.dumps(
                [[str(ids[c]) for c in b.choices], list(b.points) if with_points and b.points
                 else None], separators=(",", ":"))
        lines.append(line)
    lines.sort()
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _receipts(count: int) -> list[str]:
    """`count` distinct receipt codes in the voting receipts' form (XXXX-XXXX-XXXX)."""
    table = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(256))  # 32 divides 256
    made: list[str] = []
    seen: set[str] = set()
    while len(made) < count:
        need = count - len(made)
        raw = secrets.token_bytes(12 * need).translate(table).decode("ascii")
        for k in range(0, len(raw), 12):
            code = f"{raw[k:k + 4]}-{raw[k + 4:k + 8]}-{raw[k + 8:k + 12]}"
            if code not in seen:
                seen.add(code)
                made.append(code)
    return made


def _title(meta: dict[str, str], slug: str) -> str:
    description = (meta.get("description") or "").strip()
    if description:
        return _clip(description, TITLE_MAX)
    parts = [(meta.get(k) or "").strip() for k in ("unit", "subunit", "instance")]
    return _clip(" ".join(p for p in parts if p), TITLE_MAX) or slug


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _dates(meta: dict[str, str]) -> tuple[datetime, datetime]:
    """When voting opened and closed: META date_begin and date_end, else now."""
    opened, closed = _date(meta.get("date_begin")), _date(meta.get("date_end"))
    now = utcnow()
    closed = closed or now
    opened = opened if opened is not None and opened <= closed else closed
    return opened, closed


def _date(text: str | None) -> datetime | None:
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime((text or "").strip(), fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None
