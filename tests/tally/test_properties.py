"""Property tests over random elections: budget, exhaustiveness, order invariance, exactness."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pb.tally import Ballot, Election, Project, Result, TieBreak, tally

RULES = [
    ("greedy", {}),
    ("greedy", {"partial_remainder": True}),
    ("greedy-no-skip", {}),
    ("greedy-threshold", {"threshold": 2}),
    ("greedy-threshold", {"threshold_percent": 25}),
    ("equal-shares", {}),
    ("equal-shares", {"completion": "add1"}),
    ("equal-shares", {"completion": "add1", "greedy_completion": True}),
    ("phragmen", {}),
]


@st.composite
def elections(draw, ballot_type=None):
    n = draw(st.integers(1, 7))
    ids = [f"p{i}" for i in range(n)]
    costs = draw(st.lists(st.integers(1, 60).map(lambda c: c * 50), min_size=n, max_size=n))
    budget = draw(st.integers(1, 200)) * 50
    kind = ballot_type or draw(st.sampled_from(["approval", "points"]))
    subsets = st.lists(st.sampled_from(ids), unique=True, max_size=n)
    ballots = []
    for choices in draw(st.lists(subsets, max_size=14)):
        if kind == "points":
            pts = draw(st.lists(st.integers(1, 5), min_size=len(choices), max_size=len(choices)))
            ballots.append(Ballot(tuple(choices), tuple(pts)))
        else:
            ballots.append(Ballot(tuple(choices)))
    projects = [Project(pid, c) for pid, c in zip(ids, costs)]
    return Election(budget=budget, projects=projects, ballots=ballots, ballot_type=kind,
                    max_points=5 if kind == "points" else None)


def walk(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from walk(v)
    else:
        yield value


@settings(max_examples=60, deadline=None)
@given(elections(), st.sampled_from(RULES), st.text(max_size=4))
def test_never_over_budget_and_exact(election, rule, seed):
    name, options = rule
    r = tally(election, name, options, TieBreak("chain", seed))
    assert r.spent == sum(o.award for o in r.projects if o.selected)
    assert 0 <= r.spent <= r.budget == election.budget
    assert r.remaining == r.budget - r.spent
    for o in r.projects:
        assert isinstance(o.score, (int, Fraction)) and not isinstance(o.score, bool)
        assert isinstance(o.award, int) and 0 <= o.award <= o.cost
        assert o.partial == (o.selected and o.award < o.cost)
        for v in o.reason.params.values():
            assert not isinstance(v, float)
    d = r.to_dict()
    assert not any(isinstance(v, float) for v in walk(d))
    assert Result.from_dict(d) == r


@settings(max_examples=80, deadline=None)
@given(elections(), st.text(max_size=4))
def test_greedy_is_exhaustive(election, seed):
    r = tally(election, "greedy", tie_break=TieBreak("chain", seed))
    for o in r.projects:
        if not o.selected and o.score > 0:
            assert o.cost > r.remaining


@settings(max_examples=50, deadline=None)
@given(elections(), st.sampled_from(RULES), st.randoms(use_true_random=False))
def test_invariant_under_reordering(election, rule, rnd):
    name, options = rule
    projects = list(election.projects)
    ballots = list(election.ballots)
    rnd.shuffle(projects)
    rnd.shuffle(ballots)
    shuffled = Election(budget=election.budget, projects=projects, ballots=ballots,
                        ballot_type=election.ballot_type, max_points=election.max_points)
    seed = "s"
    assert tally(election, name, options, TieBreak("chain", seed)).to_dict() == \
        tally(shuffled, name, options, TieBreak("chain", seed)).to_dict()
