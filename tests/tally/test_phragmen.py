"""Sequential Phragmén, and ranking ballots' points per position."""

from fractions import Fraction

from pb.tally import Ballot, Election, Project, tally
from pb.tally.explain import reason_text


def test_phragmen_balances_loads():
    projects = [Project("a", 300), Project("b", 310), Project("c", 300)]
    ballots = [Ballot(("a", "b"))] * 3 + [Ballot(("c",))] * 2
    r = tally(Election(budget=600, projects=projects, ballots=ballots), "phragmen")
    assert r.selected == ["a", "c"]
    assert r.outcome("a").reason.params["load"] == 100
    assert r.outcome("c").reason.params["load"] == 150
    assert reason_text(r.outcome("b").reason) == "Needed 3.10 but only 3 was left."


def test_phragmen_skips_what_no_longer_fits():
    projects = [Project("a", 500), Project("b", 110), Project("c", 100), Project("d", 100)]
    ballots = [Ballot(("a",))] * 5 + [Ballot(("b",)), Ballot(("c", "d")), Ballot(("c",))]
    r = tally(Election(budget=700, projects=projects, ballots=ballots), "phragmen")
    assert r.selected == ["c", "a", "d"]
    assert r.outcome("d").reason.params["load"] == Fraction(150)
    assert r.outcome("b").reason.params == {"cost": 110, "left": 100}


def test_ranking_default_points_are_k_minus_position_plus_one():
    projects = [Project(p, 100) for p in "abcd"]
    ballots = [Ballot(("a", "b", "c")), Ballot(("b", "a")), Ballot(("d",))]
    e = Election(budget=200, projects=projects, ballots=ballots, ballot_type="ranking", max_choices=3)
    r = tally(e, "greedy")
    assert {o.id: o.score for o in r.projects} == {"a": 5, "b": 5, "c": 1, "d": 3}


def test_ranking_custom_position_points():
    projects = [Project(p, 100) for p in "abc"]
    ballots = [Ballot(("a", "b", "c")), Ballot(("c",))]
    e = Election(budget=100, projects=projects, ballots=ballots, ballot_type="ranking",
                 position_points=(10, 1, 1))
    r = tally(e, "greedy")
    assert {o.id: o.score for o in r.projects} == {"a": 10, "b": 1, "c": 11}
    assert r.selected == ["c"]


def test_pabulib_ballot_type_names_are_accepted():
    projects = [Project("a", 100), Project("b", 100)]
    e = Election(budget=100, projects=projects, ballots=[Ballot(("b", "a"))], ballot_type="ordinal")
    r = tally(e, "greedy")
    assert (r.ballot_type, r.selected) == ("ranking", ["b"])
