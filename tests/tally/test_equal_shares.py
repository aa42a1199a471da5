"""Method of Equal Shares: agreement with pabutools at fixed per-voter shares, and the add1
completion as its authors define it."""

from fractions import Fraction

import pytest
from conftest import manifest

from pb.tally import Ballot, Election, Project, TieBreak, TieError, tally
from pb.tally import pabulib
from pb.tally.explain import reason_text
from pb.tally.profile import build_profile
from pb.tally.rules.equal_shares import run_pass
from pb.tally.tiebreak import lot

APPROVAL = [row["file"] for row in manifest() if row["vote_type"] == "approval"]
SLOW = {row["file"] for row in manifest() if int(row["voters"]) > 20000}


def pabutools_mes(path, virtual_budget=None, seed=""):
    """Selected ids of pabutools' MES with cost utilities, no completion, our tie chain."""
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule

    instance, profile = parse_pabulib(str(path))
    if virtual_budget is not None:
        instance.budget_limit = virtual_budget
    votes = {p.name: 0 for p in instance}
    for ballot in profile:
        for p in ballot:
            votes[p.name] += profile.multiplicity(ballot) if hasattr(profile, "multiplicity") else 1
    chain = TieBreakingRule(lambda inst, prof, p: (p.cost, -votes[p.name], lot(seed, p.name)))
    chosen = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=chain)
    return sorted(p.name for p in chosen)


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in APPROVAL], ids=APPROVAL
)
def test_agrees_with_pabutools_at_budget_share(pabulib_dir, name):
    election, _, _ = pabulib.read(pabulib_dir / name)
    ours = tally(election, "equal-shares")
    assert sorted(ours.selected) == pabutools_mes(pabulib_dir / name)


SMALL = [n for n in APPROVAL if n not in SLOW and int(next(r["voters"] for r in manifest() if r["file"] == n)) < 5000]


@pytest.mark.parametrize("name", SMALL, ids=SMALL)
def test_agrees_with_pabutools_at_larger_share(pabulib_dir, name):
    election, _, _ = pabulib.read(pabulib_dir / name)
    ours = run_pass(build_profile(election), election.budget * 3 // 2)
    assert sorted(ours) == pabutools_mes(pabulib_dir / name, Fraction(election.budget * 3 // 2, 100))


ADD1 = ["Netherlands_Assen_2024.pb", "Poland_Swiecie_2023.pb", "Poland_Warszawa_2017_Anin.pb",
        "Poland_Katowice_2022_Dab.pb", "Poland_Krakow_2019_Czyzyny.pb"]


@pytest.mark.parametrize("name", ADD1, ids=ADD1)
def test_add1_follows_definition(pabulib_dir, name):
    election, _, _ = pabulib.read(pabulib_dir / name)
    result = tally(election, "equal-shares", {"completion": "add1"})
    virtual = result.details["virtual_budget"]
    n = result.voters
    assert (virtual - election.budget) % (100 * n) == 0
    fixed = tally(election, "equal-shares", {"virtual_budget": virtual})
    assert fixed.selected == result.selected
    supported = [o for o in result.projects if o.votes > 0 and not o.selected]
    exhaustive = all(o.cost > result.remaining for o in supported)
    if not exhaustive:
        higher = run_pass(build_profile(election), virtual + 100 * n)
        costs = {p.id: p.cost for p in election.projects}
        assert sum(costs[pid] for pid in higher) > election.budget
    assert result.spent <= election.budget


def small_election():
    projects = [Project("a", 600), Project("b", 400), Project("c", 300), Project("d", 200)]
    ballots = [Ballot(("a",))] * 3 + [Ballot(("b", "c"))] * 2 + [Ballot(("d",))]
    return Election(budget=1200, projects=projects, ballots=ballots)


def test_equal_shares_small_example():
    r = tally(small_election(), "equal-shares")
    assert r.selected == ["a", "c", "d"]
    assert r.outcome("a").reason.params["effective_votes"] == 3
    assert reason_text(r.outcome("a").reason).startswith(
        "Funded in step 1 with an effective vote count of 3 (3 votes)")
    b = r.outcome("b")
    assert b.reason.code == "es_unaffordable"
    assert b.reason.params["available"] == 100
    assert b.reason.params["effective_votes"] == 2
    assert reason_text(b.reason) == (
        "Not funded: its supporters' shares could not cover its cost. They had 1 left of the 4 "
        "needed (2 votes; effective vote count 2 when last affordable).")


def test_equal_shares_greedy_completion():
    r = tally(small_election(), "equal-shares", {"completion": "add1", "greedy_completion": True})
    assert r.spent <= 1200
    assert all(o.cost > r.remaining for o in r.projects if not o.selected and o.votes)


def test_equal_shares_points_utilities():
    projects = [Project("a", 500), Project("b", 500)]
    ballots = [Ballot(("a", "b"), (3, 1)), Ballot(("a", "b"), (1, 3)), Ballot(("b",), (4,))]
    e = Election(budget=1000, projects=projects, ballots=ballots, ballot_type="points", max_total_points=4)
    r = tally(e, "equal-shares")
    assert r.selected[0] == "b"


def test_equal_shares_refuse_tie():
    projects = [Project("a", 500), Project("b", 500)]
    e = Election(budget=600, projects=projects, ballots=[Ballot(("a", "b")), Ballot(("a", "b"))])
    with pytest.raises(TieError):
        tally(e, "equal-shares", tie_break=TieBreak("refuse"))
