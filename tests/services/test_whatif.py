"""What if: the same ballots under every rule, side by side (pb/services/whatif.py)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest

from pb.errors import DomainError
from pb.services import whatif
from pb.tally import RULES, Ballot, Election, Project, TieBreak, pabulib, tally
from tests import factories

PABULIB = Path(os.environ.get("PB_PABULIB_DIR",
                              Path(__file__).resolve().parents[2].parent / "shared" / "pabulib"))
ASSEN = "Netherlands_Assen_2024.pb"


def rules_disagree() -> Election:
    """Ten voters, a pot of £1,000 and a big popular project against several smaller ones.

    Voters 1-4 back A and B, voters 5-6 back A and D, voters 7-9 back C, voter 10 backs D;
    nobody backs E. Votes: A 6, B 4, C 3, D 3, E 0.
    """
    projects = [Project("A", 800_00, "Big hall"), Project("B", 300_00, "Benches"),
                Project("C", 300_00, "Cycle racks"), Project("D", 200_00, "Dog bins"),
                Project("E", 50_00, "Easels")]
    ballots = ([Ballot(("A", "B"))] * 4 + [Ballot(("A", "D"))] * 2 + [Ballot(("C",))] * 3
               + [Ballot(("D",))])
    return Election(budget=1_000_00, projects=projects, ballots=ballots)


def funded(comparison) -> dict[str, list[str]]:
    return {o.rule: sorted(o.result.selected) for o in comparison.outcomes if o.result}


def test_the_rules_disagree_exactly_as_worked_out_by_hand():
    # Greedy: A (6 votes) leaves £200; B (£300) does not fit; C and D tie on 3 votes and the
    # cheaper, D (£200), goes first and fits; C does not. {A, D}, £1,000 spent.
    # No skipping: A, then B does not fit, so counting stops. {A}, £800.
    # With a minimum of 40% of 10 voters (4 votes): only A and B qualify; B does not fit. {A}.
    # Equal shares, £100 a voter: A's six backers hold £600 of its £800, never enough. B costs
    # its four backers £75 each (price 1/4 of its cost); C costs its three £100 each and D its
    # three £66.67 each (both 1/3): B first, then D (cheaper, same price), then C. A's backers
    # then hold £166.67. {B, C, D}, £800 spent; the £200 left cannot buy A, so the completion
    # has nothing to add.
    # Phragmén: D can be bought at time 200/3 (£66.67 a backer), B at 75, C at 100, A at 133.33.
    # D first; A's time becomes (800 + 2 x 66.67) / 6 = 155.56; B at 75; A then at 205.56;
    # C at 100; £200 is left and A does not fit. {B, C, D}.
    comparison = whatif.compare(rules_disagree(), TieBreak("chain", "seed"),
                                whatif.Options(threshold_percent=Fraction(40)),
                                actual_rule="greedy")
    assert funded(comparison) == {
        "greedy": ["A", "D"], "greedy-no-skip": ["A"], "greedy-threshold": ["A"],
        "equal-shares": ["B", "C", "D"], "phragmen": ["B", "C", "D"]}
    by_rule = {o.rule: o for o in comparison.outcomes}
    assert [o.rule for o in comparison.outcomes] == list(RULES)
    assert {r: (o.spent, o.remaining) for r, o in by_rule.items()} == {
        "greedy": (1_000_00, 0), "greedy-no-skip": (800_00, 200_00),
        "greedy-threshold": (800_00, 200_00), "equal-shares": (800_00, 200_00),
        "phragmen": (800_00, 200_00)}
    # Voters with a project they backed funded: greedy misses voters 7-9 (C); A alone serves
    # voters 1-6; equal shares and Phragmén serve all ten.
    assert {r: o.voters_served for r, o in by_rule.items()} == {
        "greedy": 7, "greedy-no-skip": 6, "greedy-threshold": 6, "equal-shares": 10,
        "phragmen": 10}
    assert [o.rule for o in comparison.outcomes if o.actual] == ["greedy"]
    assert comparison.threshold_score == 4
    rows = {row.id: row for row in comparison.rows}
    assert [row.id for row in comparison.rows] == ["A", "B", "C", "D", "E"]  # most votes first
    assert [row.id for row in comparison.differing] == ["A", "B", "C", "D"]
    assert not rows["E"].differs
    assert rows["A"].cells["greedy"].award == 800_00 and rows["A"].cells["greedy"].funded
    assert not rows["A"].cells["equal-shares"].funded
    assert (rows["D"].votes, rows["D"].name) == (3, "Dog bins")


@pytest.mark.parametrize(("rule", "settings", "expected"), [
    ("greedy", {}, whatif.Options(Fraction(10), None, True)),
    ("greedy-threshold", {"threshold_percent": 25}, whatif.Options(Fraction(25), None, True)),
    ("greedy", {"threshold": 100}, whatif.Options(None, 100, True)),
    ("equal-shares", {}, whatif.Options(Fraction(10), None, False)),
    ("equal-shares", {"completion": "add1"}, whatif.Options(Fraction(10), None, True)),
], ids=["greedy", "own-percent", "own-votes", "es-without", "es-with"])
def test_the_options_start_from_the_counts_own_settings(rule, settings, expected):
    assert whatif.default_options(rule, settings) == expected


def test_the_default_minimum_is_ten_per_cent_and_the_actual_column_keeps_its_own_settings():
    # 10% of 10 voters is 1 vote: every backed project qualifies, as under plain greedy.
    comparison = whatif.compare(rules_disagree(), TieBreak())
    assert funded(comparison)["greedy-threshold"] == ["A", "D"]
    assert comparison.actual_rule is None and not any(o.actual for o in comparison.outcomes)
    own = whatif.compare(rules_disagree(), TieBreak(), actual_rule="greedy-threshold",
                         own_settings={"threshold_percent": 40})
    assert own.options.threshold_percent == 40
    assert funded(own)["greedy-threshold"] == ["A"]
    assert not own.actual_options_differ
    other = whatif.compare(rules_disagree(), TieBreak(), whatif.Options(Fraction(10)),
                           actual_rule="greedy-threshold", own_settings={"threshold_percent": 40})
    assert other.actual_options_differ


def test_the_completion_spends_what_equal_shares_leaves():
    # Two voters, £50 each: voter 1's project X (£60) is out of reach, voter 2's Y (£40) is
    # bought. Raising the shares £1 at a time reaches £60 a voter, where X is bought too.
    election = Election(budget=100_00, projects=[Project("X", 60_00), Project("Y", 40_00)],
                        ballots=[Ballot(("X",)), Ballot(("Y",))])
    with_it = whatif.compare(election, TieBreak(), whatif.Options(completion=True))
    without = whatif.compare(election, TieBreak(), whatif.Options(completion=False))
    assert funded(with_it)["equal-shares"] == ["X", "Y"]
    assert funded(without)["equal-shares"] == ["Y"]
    assert next(o for o in without.outcomes if o.rule == "equal-shares").settings == {}


def test_a_tie_the_rules_must_not_decide_is_reported_for_those_rules_only():
    # X and Y each have one vote and cost £60 of £100: which is funded turns on the tie.
    # Equal shares at £50 a voter can afford neither, so it has nothing to decide.
    election = Election(budget=100_00, projects=[Project("X", 60_00), Project("Y", 60_00)],
                        ballots=[Ballot(("X",)), Ballot(("Y",))])
    comparison = whatif.compare(election, TieBreak("refuse", ""), whatif.Options(completion=False))
    problems = {o.rule: o.problem for o in comparison.outcomes}
    for rule in ("greedy", "greedy-no-skip", "greedy-threshold", "phragmen"):
        assert problems[rule].kind == "tie" and problems[rule].tied == ["X", "Y"]
    assert problems["equal-shares"] is None
    assert funded(comparison) == {"equal-shares": []}
    assert all(row.cells["greedy"] is None for row in comparison.rows)
    assert not any(row.differs for row in comparison.rows)


def test_a_rule_that_cannot_be_counted_says_why_and_the_others_still_count():
    comparison = whatif.compare(rules_disagree(), TieBreak(),
                                whatif.Options(threshold_percent=Fraction(150)))
    bad = next(o for o in comparison.outcomes if o.rule == "greedy-threshold")
    assert bad.result is None and bad.problem.kind == "error"
    assert "between 0 and 100" in bad.problem.message
    assert funded(comparison)["greedy"] == ["A", "D"]


def test_a_count_that_runs_past_the_time_limit_is_stopped_and_reported():
    # Equal shares with the completion raises each share £1 at a time from £5,000,000 towards
    # the £9,999,999.99 that X needs: millions of passes.
    election = Election(budget=10_000_000_00,
                        projects=[Project("X", 10_000_000_00 - 1), Project("Y", 1)],
                        ballots=[Ballot(("X",)), Ballot(("Y",))])
    comparison = whatif.compare(election, TieBreak(), time_limit=1.0)
    problems = {o.rule: o.problem for o in comparison.outcomes}
    assert problems["equal-shares"].kind == "time"
    assert all(problems[r] is None for r in RULES if r != "equal-shares")
    assert funded(comparison)["greedy"] == ["X", "Y"]  # together they cost the pot exactly


def test_counting_in_a_child_process_gives_the_same_comparison_as_counting_here():
    here = whatif.compare(rules_disagree(), TieBreak("chain", "s"), time_limit=None)
    there = whatif.compare(rules_disagree(), TieBreak("chain", "s"))
    assert funded(here) == funded(there)
    assert [(r.id, r.cells, r.differs) for r in here.rows] == \
        [(r.id, r.cells, r.differs) for r in there.rows]


def test_points_count_as_backing_only_above_zero():
    election = Election(budget=100, projects=[Project("P", 60), Project("Q", 60)],
                        ballots=[Ballot(("P", "Q"), (3, 0)), Ballot(("P", "Q"), (0, 2))],
                        ballot_type="scoring", max_points=3)
    comparison = whatif.compare(election, TieBreak())
    greedy = next(o for o in comparison.outcomes if o.rule == "greedy")
    assert greedy.result.selected == ["P"]
    assert greedy.voters_served == 1
    assert comparison.points_based and comparison.rows[0].score == 3


@pytest.fixture
def assen() -> bytes:
    if not PABULIB.exists():
        pytest.skip(f"pabulib data not found at {PABULIB}")
    return (PABULIB / ASSEN).read_bytes()


def test_an_uploaded_real_file_gives_what_the_engine_gives_rule_by_rule(assen):
    upload = whatif.read_upload(assen, ASSEN)
    assert upload.currency == "EUR" and upload.title == "Netherlands, Assen, 2024"
    comparison = whatif.compare_upload(upload)
    assert comparison.actual_rule == "equal-shares"
    election, _meta, info = pabulib.read(assen)
    assert info["settings"] == {"completion": "add1"}
    expected = {"greedy": {}, "greedy-no-skip": {}, "greedy-threshold": {"threshold_percent": 10},
                "equal-shares": {"completion": "add1"}, "phragmen": {}}
    for outcome in comparison.outcomes:
        direct = tally(election, outcome.rule, expected[outcome.rule], TieBreak("chain", ""))
        assert (outcome.result.selected, outcome.spent, outcome.remaining) == \
            (direct.selected, direct.spent, direct.remaining), outcome.rule
        backers = [set(b.choices) for b in election.ballots]
        assert outcome.voters_served == sum(1 for b in backers if b & set(direct.selected))
    own = next(o for o in comparison.outcomes if o.actual)
    assert sorted(own.result.selected) == info["selected"]  # the official winners


@pytest.mark.parametrize(("content", "name", "says"), [
    (b"", "empty.pb", "The file is empty"),
    (b"META\nkey;value\nbudget;100\n", "x.txt", "ends in .pb"),
    (b"\xff\xfe\x00M\x00E", "utf16.pb", "not text in UTF-8"),
    (b"hello;world\n", "junk.pb", "Line 1 of the file"),
    (b"META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;50\n", "short.pb",
     "section VOTES is missing"),
], ids=["empty", "extension", "not-utf8", "no-heading", "no-votes"])
def test_a_file_that_cannot_be_read_gets_a_message_on_the_file_field(app, content, name, says):
    with pytest.raises(DomainError) as raised:
        whatif.read_upload(content, name)
    assert raised.value.field == "file"
    assert says in raised.value.message


def test_a_bad_cost_names_its_line(app, assen):
    lines = assen.decode().split("\n")
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith("3;7200;"))
    lines[number - 1] = lines[number - 1].replace("3;7200;", "3;seven;", 1)
    with pytest.raises(DomainError) as raised:
        whatif.read_upload("\n".join(lines).encode(), ASSEN)
    assert raised.value.message.startswith(f"Line {number} of the file:")
    assert "'seven' is not a number" in raised.value.message


def test_a_file_with_an_unknown_currency_shows_plain_amounts(app):
    text = ("META\nkey;value\nbudget;100\ncurrency;<b>\nrule;greedy\nPROJECTS\nproject_id;cost\n"
            "a;60\nb;50\nVOTES\nvoter_id;vote\n1;a\n2;a,b\n")
    upload = whatif.read_upload(text.encode(), "tiny.pb")
    assert upload.currency is None
    comparison = whatif.compare_upload(upload)
    assert comparison.actual_rule == "greedy"
    assert funded(comparison)["greedy"] == ["a"]


# Rounds: the real ballots of a closed round, with its tie-break and seed.
def test_a_closed_round_compares_its_own_ballots_and_its_rule_matches_the_stored_count(app):
    world = factories.counted_round()
    assert whatif.round_ready(world.organiser, world.round)
    comparison = whatif.compare_round(world.round)
    own = next(o for o in comparison.outcomes if o.actual)
    assert own.rule == world.round.rule == "greedy"
    assert own.result.selected == world.result.data["selected"]
    assert own.spent == world.result.spent
    assert comparison.voters == world.result.ballot_count == 5
    names = {row.name for row in comparison.rows}
    assert names == {"Allotment", "Bus shelter", "Community fridge"}


def test_a_round_is_not_ready_before_close_or_for_someone_who_does_not_organise_it(app):
    from pb.models.user import MEMBER

    world = factories.counted_round(slug="counted")
    organiser = world.organiser
    member = factories.user(world.council, "member@example.org", MEMBER, world.partnership)
    voting = factories.round_(world.council, slug="open", status="voting")
    assert not whatif.round_ready(organiser, voting)
    assert whatif.round_ready(organiser, world.round)
    assert not whatif.round_ready(member, world.round)
    assert not whatif.round_ready(None, world.round)
    assert whatif.may_dry_run(organiser) and not whatif.may_dry_run(member)
    assert not whatif.may_dry_run(None)
