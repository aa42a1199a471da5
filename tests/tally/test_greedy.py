"""Greedy rules: edge cases of fitting, thresholds, partial awards and ties."""

import pytest

from pb.tally import Ballot, Election, Project, Result, TallyError, TieBreak, TieError, tally
from pb.tally.explain import reason_text


def election(costs, approvals, budget):
    projects = [Project(id=pid, cost=c) for pid, c in costs.items()]
    ballots = [Ballot(choices=tuple(b)) for b in approvals]
    return Election(budget=budget, projects=projects, ballots=ballots, ballot_type="approval")


def test_exact_fit_is_funded():
    e = election({"a": 600, "b": 400}, ["ab", "a", "a"], 1000)
    r = tally(e, "greedy")
    assert r.selected == ["a", "b"]
    assert (r.spent, r.remaining) == (1000, 0)


def test_one_penny_over_is_not_funded():
    e = election({"a": 600, "b": 401}, ["ab", "a", "a"], 1000)
    r = tally(e, "greedy")
    assert r.selected == ["a"]
    b = r.outcome("b")
    assert b.reason.code == "over_budget"
    assert b.reason.params == {"cost": 401, "left": 400}
    assert reason_text(b.reason) == "Needed 4.01 but only 4 was left."


def test_greedy_skips_and_no_skip_stops():
    e = election({"a": 600, "b": 500, "c": 300}, ["abc", "ab", "a"], 1000)
    assert tally(e, "greedy").selected == ["a", "c"]
    r = tally(e, "greedy-no-skip")
    assert r.selected == ["a"]
    assert r.outcome("c").reason.code == "stopped"


def test_threshold():
    e = election({"a": 100, "b": 100}, ["ab", "a", "a"], 1000)
    r = tally(e, "greedy-threshold", {"threshold": 2})
    assert r.selected == ["a"]
    assert r.settings == {"threshold": 2}
    assert reason_text(r.outcome("b").reason) == "Below the minimum of 2 votes: it had 1."
    r = tally(e, "greedy-threshold", {"threshold_percent": 50})
    assert r.selected == ["a"]


def test_threshold_rule_needs_threshold():
    e = election({"a": 100}, ["a"], 1000)
    with pytest.raises(TallyError, match="threshold"):
        tally(e, "greedy-threshold")


def test_partial_remainder():
    e = election({"a": 600, "b": 500, "c": 100}, ["abc", "ab", "a"], 1000)
    r = tally(e, "greedy", {"partial_remainder": True})
    assert r.selected == ["a", "b"]
    b = r.outcome("b")
    assert (b.award, b.partial, b.step) == (400, True, 2)
    assert r.remaining == 0
    assert "remaining 4 of its cost of 5" in reason_text(b.reason)


def test_tie_lower_cost_first():
    e = election({"a": 500, "b": 400}, ["a", "b"], 600)
    r = tally(e, "greedy")
    assert r.selected == ["b"]
    assert r.outcome("a").reason.params["criterion"] == "cost"


def test_tie_by_votes_among_equal_points():
    projects = [Project("a", 500), Project("b", 500)]
    ballots = [Ballot(("a",), (4,)), Ballot(("b",), (2,)), Ballot(("b",), (2,))]
    e = Election(budget=600, projects=projects, ballots=ballots, ballot_type="scoring", max_points=5)
    r = tally(e, "greedy")
    assert r.selected == ["b"]
    assert r.outcome("a").reason.params["criterion"] == "votes"


def test_tie_by_lot_depends_on_seed_only():
    e = election({"a": 500, "b": 500}, ["a", "b"], 600)
    winners = {tally(e, "greedy", tie_break=TieBreak("chain", s)).selected[0] for s in map(str, range(20))}
    assert winners == {"a", "b"}
    r1 = tally(e, "greedy", tie_break=TieBreak("chain", "x"))
    r2 = tally(e, "greedy", tie_break=TieBreak("chain", "x"))
    assert r1 == r2
    assert r1.tie_break["seed"] == "x"
    assert r1.outcome(r1.projects[1].id).reason.params["criterion"] == "lot"


def test_refuse_raises_on_deciding_tie():
    e = election({"a": 500, "b": 500}, ["a", "b"], 600)
    with pytest.raises(TieError) as info:
        tally(e, "greedy", tie_break=TieBreak("refuse"))
    assert info.value.tied == ["a", "b"]
    assert info.value.step == 1


def test_refuse_accepts_harmless_tie():
    e = election({"a": 500, "b": 500}, ["a", "b"], 1000)
    r = tally(e, "greedy", tie_break=TieBreak("refuse"))
    assert sorted(r.selected) == ["a", "b"]


def test_no_votes_never_funded():
    e = election({"a": 100, "b": 100}, ["a"], 1000)
    r = tally(e, "greedy")
    assert r.selected == ["a"]
    assert reason_text(r.outcome("b").reason) == "Received no votes."


def test_result_round_trips():
    e = election({"a": 600, "b": 500, "c": 100}, ["abc", "ab", "a"], 1000)
    r = tally(e, "greedy", {"partial_remainder": True}, TieBreak("chain", "s"))
    assert Result.from_dict(r.to_dict()) == r


def test_exclusive_projects():
    e = election({"a": 100, "b": 100, "c": 100}, ["abc", "ab", "a"], 1000)
    r = tally(e, "greedy", {"exclusive": [["a", "b"]]})
    assert r.selected == ["a", "c"]
    assert r.outcome("b").reason.code == "excluded"


def test_pots_by_area():
    projects = [Project("a", 300, area="north"), Project("b", 300, area="north"),
                Project("c", 300, area="south")]
    ballots = [Ballot(("a", "b")), Ballot(("a",)), Ballot(("c",))]
    e = Election(budget=1000, projects=projects, ballots=ballots)
    r = tally(e, "greedy", {"pots": {"north": 400, "south": 400}})
    assert r.selected == ["a", "c"]
    assert r.outcome("c").step == 2
