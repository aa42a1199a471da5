"""Reading and writing pabulib files: BOM, CRLF, quoting, type mapping, round trips."""

import json
import subprocess
import sys

from click.testing import CliRunner

from pb.tally import Ballot, Election, Project, tally
from pb.tally import pabulib
from pb.tally.cli import tally_command

TEXT = """META
key;value
budget;1000.50
vote_type;ordinal
max_length;3
rule;greedy
PROJECTS
project_id;cost;votes;name;selected
a;600;2;Alpha;1
b;400;1;"Beta; quoted";1
c;300;1;Gamma;0
VOTES
voter_id;vote
1;a,b,c
2;a
"""


def test_bom_and_mixed_line_ends():
    mixed = "\ufeff" + TEXT.replace("\n", "\r\n", 8)
    election, meta, info = pabulib.read(mixed.encode("utf-8"))
    assert meta["rule"] == "greedy"
    assert election.budget == 100050
    assert election.ballot_type == "ranking"
    assert {p.id: p.name for p in election.projects}["b"] == "Beta; quoted"
    assert info["selected"] == ["a", "b"]
    r = tally(election, info["rule"], info["settings"])
    assert [o.score for o in r.projects if o.id == "a"] == [6]


def test_round_trip(tmp_path):
    election = Election(budget=150000, projects=[Project("x", 70050, "X"), Project("y", 50000, "Y")],
                        ballots=[Ballot(("x", "y"), (2, 1)), Ballot(("y",), (3,))],
                        ballot_type="points", max_total_points=3)
    text = pabulib.write(election, {"description": "test"}, selected=["x"])
    again, meta, info = pabulib.read(text)
    assert again == election
    assert meta["vote_type"] == "cumulative"
    assert meta["description"] == "test"
    assert info["selected"] == ["x"]


def test_rule_mapping():
    text = TEXT.replace("rule;greedy", "rule;equalshares/add1").replace("vote_type;ordinal", "vote_type;approval")
    text = text.replace("max_length;3", "min_project_score_threshold;1")
    _, _, info = pabulib.read(text)
    assert (info["rule"], info["settings"]) == ("equal-shares", {"completion": "add1"})
    _, _, info = pabulib.read(text.replace("equalshares/add1", "greedy-threshold"))
    assert (info["rule"], info["settings"]) == ("greedy-threshold", {"threshold": 1})


def test_cli_options(tmp_path):
    path = tmp_path / "e.pb"
    path.write_text(TEXT, encoding="utf-8")
    run = CliRunner().invoke(tally_command, [str(path), "--rule", "greedy-threshold", "--threshold", "2",
                                             "--seed", "abc"])
    assert run.exit_code == 0, run.output
    out = json.loads(run.stdout)
    assert out["rule"] == "greedy-threshold"
    assert out["settings"] == {"threshold": 2}
    assert out["tie_break"]["seed"] == "abc"
    assert set(out) >= {"rule", "budget", "spent", "selected", "projects", "engine_version"}
    assert set(out["projects"][0]) >= {"id", "cost", "score", "selected", "award", "reason"}


def test_cli_refuse_exits_3(tmp_path):
    path = tmp_path / "tie.pb"
    path.write_text("META\nkey;value\nbudget;1000\nvote_type;approval\nPROJECTS\nproject_id;cost\n"
                    "a;600\nb;600\nVOTES\nvoter_id;vote\n1;a\n2;b\n", encoding="utf-8")
    run = CliRunner().invoke(tally_command, [str(path), "--tie-break", "refuse"])
    assert run.exit_code == 3
    assert "tied" in run.stderr


def test_python_m_entry_point(tmp_path):
    path = tmp_path / "e.pb"
    path.write_text(TEXT, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pb.tally", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["selected"] == ["a", "b"]
