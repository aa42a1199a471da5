"""Bad input: every error names the line at fault, and the CLI exits non-zero."""

import pytest
from click.testing import CliRunner

from pb.tally import Ballot, Election, Project, TallyError, tally
from pb.tally import pabulib
from pb.tally.cli import tally_command
from pb.tally.pabulib import PabulibError

GOOD = """META
key;value
budget;1000
vote_type;cumulative
max_sum_points;5
rule;greedy
PROJECTS
project_id;cost;votes;name
a;600;2;Alpha
b;400;1;"Beta; with a semicolon"
VOTES
voter_id;vote;points
1;a,b;3,2
2;a;5
"""

BAD = [
    ("malformed-row", GOOD.replace("2;a;5", "2;a;5;extra"), 14, "expected 3 fields"),
    ("no-section", "key;value\n" + GOOD, 1, "section heading"),
    ("unknown-project", GOOD.replace("2;a;5", "2;z;5"), 14, "unknown project 'z'"),
    ("zero-cost", GOOD.replace("a;600;2", "a;0;2"), 9, "must be positive"),
    ("negative-budget", GOOD.replace("budget;1000", "budget;-5"), 3, "must be positive"),
    ("text-cost", GOOD.replace("a;600;2", "a;lots;2"), 9, "not a number"),
    ("points-over-total", GOOD.replace("1;a,b;3,2", "1;a,b;3,3"), 13, "more than the 5 allowed"),
    ("points-not-numbers", GOOD.replace("1;a,b;3,2", "1;a,b;3,x"), 13, "not whole numbers"),
    ("points-mismatch", GOOD.replace("1;a,b;3,2", "1;a,b;3"), 13, "2 projects but 1 point values"),
    ("duplicate-project", GOOD.replace("1;a,b;3,2", "1;a,a;3,2"), 13, "more than once"),
    ("missing-votes", GOOD.split("VOTES")[0], 11, "section VOTES is missing"),
]


@pytest.mark.parametrize(("text", "line", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_read_names_the_line(text, line, message):
    with pytest.raises(PabulibError) as info:
        pabulib.read(text)
    assert info.value.line == line
    assert f"line {line}" in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize(("text", "line", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_cli_exits_non_zero(tmp_path, text, line, message):
    path = tmp_path / "bad.pb"
    path.write_text(text, encoding="utf-8")
    run = CliRunner().invoke(tally_command, [str(path)])
    assert run.exit_code == 1
    assert f"bad.pb: line {line}: " in run.stderr
    assert message in run.stderr
    assert run.stdout == ""


def test_points_out_of_range_on_scoring_ballot():
    e = Election(budget=100, projects=[Project("a", 50)], ballots=[Ballot(("a",), (11,), line=7)],
                 ballot_type="scoring", min_points=1, max_points=10)
    with pytest.raises(TallyError, match="line 7: .*11 points, outside the allowed range 1 to 10"):
        tally(e)


@pytest.mark.parametrize(
    ("election", "message"),
    [
        (Election(budget=0, projects=[Project("a", 5)], ballots=[]), "budget must be a positive"),
        (Election(budget=10, projects=[Project("a", -5)], ballots=[]), "cost of project 'a'"),
        (Election(budget=10, projects=[Project("a", 5.0)], ballots=[]), "cost of project 'a'"),
        (Election(budget=10, projects=[Project("a", 5)], ballots=[Ballot(("b",))]), "ballot 1 names unknown project 'b'"),
        (Election(budget=10, projects=[Project("a", 5), Project("b", 5)], ballots=[Ballot(("a", "b"))],
                  ballot_type="choose-one"), "choose-one"),
        (Election(budget=10, projects=[Project("a", 8), Project("b", 5)], ballots=[Ballot(("a", "b"))],
                  ballot_type="knapsack"), "more than the limit of 10"),
        (Election(budget=10, projects=[Project("a", 5)], ballots=[Ballot(("a",))], max_choices=0), "maximum of 0"),
        (Election(budget=10, projects=[Project("a", 5)], ballots=[], ballot_type="stv"), "unknown ballot type"),
    ],
    ids=["zero-budget", "negative-cost", "float-cost", "unknown-id", "choose-one", "knapsack", "max-choices",
         "ballot-type"],
)
def test_invalid_elections(election, message):
    with pytest.raises(TallyError, match=message):
        tally(election)


def test_unknown_rule_and_setting():
    e = Election(budget=10, projects=[Project("a", 5)], ballots=[])
    with pytest.raises(TallyError, match="unknown rule"):
        tally(e, "borda")
    with pytest.raises(TallyError, match="no setting 'completion'"):
        tally(e, "greedy", {"completion": "add1"})


def test_cli_missing_file():
    run = CliRunner().invoke(tally_command, ["/nonexistent/x.pb"])
    assert run.exit_code != 0
