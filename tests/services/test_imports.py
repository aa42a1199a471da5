"""Importing a pabulib election as a closed, counted round (pb.services.imports)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from pb.errors import DomainError
from pb.extensions import db
from pb.models import (AuditEntry, Ballot, BallotChoice, Council, Proposal, Round,
                       TallyResult)
from pb.services import audit, imports, pabulib_io, tallying
from pb.services.ballots import BallotRules
from pb.tally import TallyError, TieBreak, pabulib, tally
from tests import factories

APPROVAL = """META
key;value
description;Small grants 2024
country;Poland
unit;Gdańsk
instance;2024
budget;100
currency;PLN
vote_type;approval
rule;greedy
date_begin;01.03.2024
date_end;15.03.2024
PROJECTS
project_id;cost;name
A;60;Allotment
B;50;Bus shelter
C;30;
VOTES
voter_id;vote
1;B,A
2;A,C
3;B
4;A
"""

# Ranking: places score 3, 2, 1. A: 3+2 = 5, B: 2+3 = 5, C: 1+1 = 2.
RANKING = """META
key;value
budget;100
vote_type;ordinal
max_length;3
PROJECTS
project_id;cost
A;60
B;50
C;30
VOTES
voter_id;vote
1;A,B,C
2;B,A
3;C
"""

POINTS = """META
key;value
budget;100
vote_type;cumulative
min_sum_points;2
max_sum_points;10
rule;greedy-threshold
min_project_score_threshold;5
PROJECTS
project_id;cost
A;60
B;50
C;30
VOTES
voter_id;vote;points
1;A,B;7,3
2;C,A;2,0
3;B;10
"""

SCORING = """META
key;value
budget;100
vote_type;scoring
min_points;1
max_points;7
min_length;2
PROJECTS
project_id;cost
A;60
B;50
C;30
VOTES
voter_id;vote;points
1;A,B;7,1
2;C,A;2,3
3;B,C;6,6
"""

KNAPSACK = """META
key;value
budget;100
vote_type;knapsack
max_sum_cost;90
PROJECTS
project_id;cost
A;60
B;50
C;30
VOTES
voter_id;vote
1;A,C
2;B,C
3;C
"""

CHOOSE_ONE = """META
key;value
budget;100
currency;HUF
vote_type;choose-1
rule;greedy-no-skip
PROJECTS
project_id;cost
A;60
B;50
C;30
VOTES
voter_id;vote
1;B
2;A
3;B
"""

ALL_TYPES = {"approval": APPROVAL, "ranking": RANKING, "points": POINTS, "scoring": SCORING,
             "knapsack": KNAPSACK, "choose-one": CHOOSE_ONE,
             # Without stated limits, the platform's must still let every ballot in.
             # (The ballot page's defaults: 10 points, scores 0 to 5, 5 places.)
             "points-unlimited": POINTS.replace("min_sum_points;2\n", "")
             .replace("max_sum_points;10\n", "").replace("3;B;10", "3;B;25"),
             "scoring-unlimited": SCORING.replace("max_points;7\n", ""),
             "ranking-unlimited": RANKING.replace("max_length;3\n", "")
             .replace("C;30\n", "C;30\nD;5\nE;5\nF;5\n").replace("3;C\n", "3;C,F,E,D,B,A\n")}
ROWS = (Council, Round, Proposal, Ballot, BallotChoice, TallyResult, AuditEntry)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _counts() -> dict:
    return {model.__name__: _count(model) for model in ROWS}


def _external(round_: Round) -> dict[int, str]:
    return {p.id: p.external_id for p in round_.proposals}


def test_a_file_becomes_a_closed_round_with_its_projects_ballots_and_count(app):
    data = APPROVAL.encode()
    round_ = imports.import_election(data, "gdansk-2024", filename="gdansk.pb")
    db.session.commit()

    assert (round_.slug, round_.status, round_.title, round_.currency, round_.pot) == (
        "gdansk-2024", "closed", "Small grants 2024", "PLN", 100_00)
    assert round_.council.name == "Gdańsk" and round_.partnership is None
    assert (round_.ballot_type, round_.rule, round_.rule_settings) == ("approval", "greedy", {})
    assert (round_.tie_break, round_.tie_break_seed, round_.voting_methods) == ("chain", "", [])
    assert round_.voting_opened_at == datetime(2024, 3, 1, tzinfo=timezone.utc)
    assert round_.voting_closed_at == datetime(2024, 3, 15, tzinfo=timezone.utc)
    assert [(p.external_id, p.title, p.cost, p.status, p.proposer_name) for p in
            round_.proposals] == [("A", "Allotment", 60_00, "shortlisted", "Gdańsk"),
                                  ("B", "Bus shelter", 50_00, "shortlisted", "Gdańsk"),
                                  ("C", "Project C", 30_00, "shortlisted", "Gdańsk")]

    ballots = db.session.scalars(select(Ballot).order_by(Ballot.id)).all()
    assert [(b.channel, b.credential_id, b.district) for b in ballots] == [
        ("imported", None, None)] * 4
    assert len({b.receipt for b in ballots}) == 4
    assert all(len(b.receipt) == 14 and b.receipt[4] == b.receipt[9] == "-" for b in ballots)
    ids = _external(round_)
    assert sorted([(ids[c.proposal_id], c.position, c.value) for c in b.choices]
                  for b in ballots) == sorted([
                      [("B", 0, 1), ("A", 1, 1)], [("A", 0, 1), ("C", 1, 1)], [("B", 0, 1)],
                      [("A", 0, 1)]])

    # A has 3 votes, B 2, C 1: A is funded, B no longer fits in the 40 left, C does.
    result = tallying.latest_result(round_)
    assert [ids[int(pid)] for pid in result.data["selected"]] == ["A", "C"]
    assert (result.spent, result.ballot_count) == (90_00, 4)

    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.round_id, entry.actor) == ("round.imported", round_.id, "system")
    assert entry.details["file"] == "gdansk.pb"
    assert entry.details["sha256"] == hashlib.sha256(data).hexdigest()
    assert (entry.details["ballots"], entry.details["projects"]) == (4, 3)
    assert audit.verify_chain() == []


def test_on_postgresql_the_planner_knows_the_loaded_ballots_at_once(app):
    """A city's ballots are counted and shown straight after a bulk load. PostgreSQL's planner
    must not take the tables for nearly empty until autovacuum comes round (bench/scale.py: the
    results page of 131,778 imported ballots took 0.200 s with stale estimates, 0.141 s without)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no row estimates that a bulk load leaves stale")
    votes = "".join(f"{i};{'A,B' if i % 2 else 'C'}\n" for i in range(1, 301))
    data = APPROVAL.split("VOTES")[0] + "VOTES\nvoter_id;vote\n" + votes
    imports.import_election(data.encode(), "big-file")

    for table, loaded in (("ballots", 300), ("ballot_choices", 450)):
        rows = db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        estimate = db.session.execute(
            text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}).scalar()
        assert rows >= loaded
        assert (table, estimate) == (table, rows)

@pytest.mark.parametrize("kind", list(ALL_TYPES), ids=list(ALL_TYPES))
def test_every_ballot_type_is_held_to_the_files_limits_and_counts_the_same(app, kind):
    original, _, info = pabulib.read(ALL_TYPES[kind])
    round_ = imports.import_election(ALL_TYPES[kind].encode(), f"round-{kind}")
    db.session.commit()

    # The platform's ballot rules are the file's, so the ballot page would accept these ballots.
    assert round_.ballot_type == original.ballot_type
    election = tallying.build_election(round_)
    for limit in ("min_choices", "max_choices", "max_cost", "max_points", "min_points",
                  "max_total_points", "min_total_points"):
        if getattr(original, limit):
            assert getattr(election, limit) == getattr(original, limit), limit
    # The ballots come back from the database as they were in the file, in their order.
    ids = {str(k): v for k, v in _external(round_).items()}
    assert sorted((tuple(ids[c] for c in b.choices), b.points) for b in election.ballots) == \
        sorted((b.choices, b.points) for b in original.ballots)

    expected = tally(original, rule=info["rule"], settings=info["settings"],
                     tie_break=TieBreak("chain", ""))
    result = tallying.latest_result(round_)
    assert [ids[pid] for pid in result.data["selected"]] == expected.selected
    assert result.spent == expected.spent


def test_ranks_and_points_are_stored_as_the_ballot_pages_store_them(app):
    ranking = imports.import_election(RANKING.encode(), "ranked")
    points = imports.import_election(POINTS.encode(), "pointed")
    stored = {}
    for round_ in (ranking, points):
        ids = _external(round_)
        rows = db.session.execute(
            select(BallotChoice.ballot_id, BallotChoice.proposal_id, BallotChoice.value)
            .join(Ballot).where(Ballot.round_id == round_.id)
            .order_by(BallotChoice.ballot_id, BallotChoice.position)).all()
        ballots: dict[int, list] = {}
        for ballot_id, proposal_id, value in rows:
            ballots.setdefault(ballot_id, []).append((ids[proposal_id], value))
        stored[round_.slug] = sorted(ballots.values())
    # Ranking: the value is the place (1 = first); points: the points given, 0 included.
    assert stored["ranked"] == [[("A", 1), ("B", 2), ("C", 3)], [("B", 1), ("A", 2)],
                                [("C", 1)]]
    assert stored["pointed"] == [[("A", 7), ("B", 3)], [("B", 10)], [("C", 2), ("A", 0)]]
    rules = BallotRules.for_round(ranking, 3)
    assert (rules.positions, rules.max_choices) == (3, 3)
    rules = BallotRules.for_round(points, 3)
    assert (rules.allowance, rules.min_total) == (10, 2)
    assert (points.rule, points.rule_settings) == ("greedy-threshold", {"threshold": 5})


def test_a_round_exported_by_the_platform_imports_to_the_same_count(app):
    world = factories.counted_round(publish=True)
    text = pabulib_io.round_pb(world.round, world.result)
    round_ = imports.import_election(text.encode(), "spring-again", world.council)
    db.session.commit()
    assert round_.tie_break_seed == world.round.tie_break_seed
    assert round_.council == world.council and round_.currency == "GBP"
    again = tallying.latest_result(round_)
    first = {p["name"]: p["award"] for p in world.result.data["projects"]}
    assert {p["name"]: p["award"] for p in again.data["projects"]} == first
    # The platform's own proposal numbers became the imported projects' external ids.
    assert {p.external_id for p in round_.proposals} == {
        str(p.id) for p in world.projects.values()}


def test_the_title_and_council_can_be_given(app):
    council, _ = factories.council_with_partnerships(["North"])
    other = Council(name="Other", slug="other")
    db.session.add(other)
    db.session.flush()
    round_ = imports.import_election(APPROVAL.encode(), "given", other, title="  My title ")
    assert (round_.title, round_.council) == ("My title", other)
    # Without a council, the first one is used rather than a new one made.
    assert imports.import_election(RANKING.encode(), "first").council == council
    assert _count(Council) == 2


def _replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


BAD_FILES = {
    "unknown-project": (_replace(APPROVAL, "2;A,C", "2;A,Z"), 21, "unknown project 'Z'"),
    "bad-cost": (_replace(APPROVAL, "B;50;Bus", "B;fifty;Bus"), 16, "not a number"),
    "bad-currency": (_replace(APPROVAL, "currency;PLN", "currency;zł"), 8, "currency"),
    "not-utf8": (APPROVAL.replace("Bus shelter", "Bus\udcff").encode("utf-8", "surrogateescape"),
                 16, "not UTF-8"),
    "empty-ballot": (_replace(APPROVAL, "3;B\n", "3;\n"), 22, "chooses no project"),
    "ranking-points": (_replace(RANKING, "voter_id;vote\n1;A,B,C\n2;B,A\n3;C",
                                "voter_id;vote;points\n1;A,B,C;3,2,1\n2;B,A;3,2\n3;C;1"),
                       13, "its own points"),
    "no-votes": (APPROVAL.split("VOTES")[0], 18, "section VOTES is missing"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_a_bad_file_is_refused_naming_the_line_and_nothing_is_stored(app, case):
    text, line, words = BAD_FILES[case]
    data = text if isinstance(text, bytes) else text.encode()
    with pytest.raises(DomainError) as refused:
        imports.import_election(data, "bad", filename="bad.pb")
    assert refused.value.message.startswith(f"bad.pb: line {line}: ")
    assert words in refused.value.message
    db.session.commit()
    assert _counts() == dict.fromkeys(_counts(), 0)


def test_more_ranking_places_than_projects_is_refused(app):
    with pytest.raises(DomainError, match="5 places but there are only 3 projects"):
        imports.import_election(RANKING.replace("max_length;3", "max_length;5").encode(), "r")


def test_a_file_is_read_from_a_path_and_a_missing_one_is_refused(app, tmp_path):
    path = tmp_path / "small.pb"
    path.write_text(APPROVAL, encoding="utf-8")
    assert imports.import_election(path, "from-path").title == "Small grants 2024"
    assert db.session.scalars(select(AuditEntry)).one().details["file"] == "small.pb"
    with pytest.raises(DomainError, match="Cannot read"):
        imports.import_election(tmp_path / "missing.pb", "missing")


@pytest.mark.parametrize("slug", ["", "Not A Slug", "café", "-x", "ballot"])
def test_a_slug_that_is_not_valid_is_refused(app, slug):
    with pytest.raises(DomainError, match="slug"):
        imports.import_election(APPROVAL.encode(), slug)
    db.session.commit()
    assert _count(Round) == 0


def test_a_taken_slug_is_refused_and_nothing_more_is_stored(app):
    imports.import_election(APPROVAL.encode(), "taken")
    db.session.commit()
    before = _counts()
    with pytest.raises(DomainError, match="already a round “taken”"):
        imports.import_election(RANKING.encode(), "taken")
    db.session.commit()
    assert _counts() == before


def test_a_failure_after_the_ballots_are_written_leaves_nothing(app, monkeypatch):
    def refuse(round_):
        assert _count(BallotChoice) == 6  # the ballots were written before the count
        raise TallyError("the count went wrong")

    monkeypatch.setattr(tallying, "tally_round", refuse)
    with pytest.raises(DomainError, match="the count went wrong"):
        imports.import_election(APPROVAL.encode(), "fails")
    db.session.commit()
    # The council made for the round goes too.
    assert _counts() == dict.fromkeys(_counts(), 0)


def test_an_organiser_of_the_council_may_import_and_is_recorded(app):
    from pb.errors import NotAllowed
    from pb.models.user import COUNCIL_ADMIN, ORGANISER

    council, (north,) = factories.council_with_partnerships(["North"])
    admin = factories.user(council, "admin@example.org", COUNCIL_ADMIN)
    local = factories.user(council, "local@example.org", ORGANISER, partnership=north)
    db.session.commit()
    with pytest.raises(NotAllowed):
        imports.import_election(APPROVAL.encode(), "local", council, user=local)
    round_ = imports.import_election(APPROVAL.encode(), "admin", council, user=admin)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.round_id == round_.id)).one()
    assert entry.actor == "admin@example.org"


@pytest.mark.parametrize(("currency", "cost", "minor", "written"), [
    ("JPY", "1500", 1500, "1500"), ("KWD", "12.345", 12345, "12.345"),
    ("EUR", "60.5", 6050, "60.50")])
def test_amounts_keep_the_currencys_minor_units_there_and_back(app, currency, cost, minor,
                                                               written):
    text = (APPROVAL.replace("currency;PLN", f"currency;{currency}")
            .replace("budget;100", "budget;20000").replace("A;60;", f"A;{cost};"))
    round_ = imports.import_election(text.encode(), "money")
    project = next(p for p in round_.proposals if p.external_id == "A")
    assert (round_.currency, project.cost) == (currency, minor)
    out = pabulib_io.round_pb(round_, tallying.latest_result(round_))
    assert f"\nA;{written};" in out and "\nbudget;20000\n" in out


def test_more_decimals_than_the_currency_has_is_refused_naming_the_line(app):
    text = APPROVAL.replace("currency;PLN", "currency;JPY").replace("A;60;", "A;60.5;")
    with pytest.raises(DomainError, match=r"^the file: line 15: .*more decimals"):
        imports.import_election(text.encode(), "yen")


def test_a_database_refusal_while_writing_ballots_leaves_nothing(app, monkeypatch):
    imports.import_election(APPROVAL.encode(), "first")
    db.session.commit()
    before = _counts()
    taken = db.session.scalars(select(Ballot.receipt)).first()
    # A receipt already in use: the database's unique index refuses the second import.
    monkeypatch.setattr(imports, "_receipts", lambda count: [taken] * count)
    with pytest.raises(DomainError, match="could not be stored"):
        imports.import_election(RANKING.encode(), "second")
    db.session.commit()
    assert _counts() == before
