"""A round as a pabulib file: anonymised, canonical, and counted again to the same result."""

from __future__ import annotations

from pb.services import pabulib_io
from pb.tally import TieBreak, pabulib, tally
from tests import factories


def test_the_exported_file_counts_to_the_stored_result(app):
    world = factories.counted_round(publish=True)
    text = pabulib_io.round_pb(world.round, world.result)
    election, meta, info = pabulib.read(text)
    assert meta["rule"] == "greedy" and meta["currency"] == "GBP"
    assert meta["tie_break_seed"] == world.round.tie_break_seed
    assert {p.id: p.cost for p in election.projects} == {
        str(p.id): p.cost for p in world.projects.values()}
    assert len(election.ballots) == 5
    # Canonical order: sorted, so the order of casting is not in the file.
    keys = [b.choices for b in election.ballots]
    assert keys == sorted(keys)
    again = tally(election, rule=meta["rule"], settings=info["settings"],
                  tie_break=TieBreak("chain", meta["tie_break_seed"]))
    assert again.selected == world.result.data["selected"]
    assert info["selected"] == sorted(world.result.data["selected"])
    assert pabulib_io.file_sha256(text) == pabulib_io.file_sha256(
        pabulib_io.round_pb(world.round, world.result))


def test_a_percentage_threshold_is_written_as_the_least_score(app):
    world = factories.counted_round()
    world.result.rule, world.result.rule_settings = "greedy-threshold", {"threshold_percent": 50}
    _, meta, _ = pabulib.read(pabulib_io.round_pb(world.round, world.result))
    assert (meta["rule"], meta["min_project_score_threshold"]) == ("greedy-threshold", "3")
