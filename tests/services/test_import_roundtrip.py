"""Every real pabulib election, imported as a round, exported again and counted: nothing lost.

Each file is imported (`pb import`), written back out with `round_pb`, and read again: the
projects, the ballots (as a multiset, each ranking in its order), the ballot type and its
limits must be the file's, and the stored count must equal a count of the original file with
the round's rule, settings and seed. On SQLite every file runs; on PostgreSQL a subset with
every vote type, rule and currency, and the two largest files (see POSTGRES_FILES).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import Ballot, Proposal
from pb.money import minor_digits
from pb.services import imports, pabulib_io, tallying
from pb.tally import TieBreak, pabulib, tally
POSTGRES_URL = os.environ.get("PB_TEST_POSTGRES_URL")

PABULIB = Path(os.environ.get("PB_PABULIB_DIR",
                              Path(__file__).resolve().parents[3] / "shared" / "pabulib"))


def _files() -> list[str]:
    manifest = PABULIB / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(newline="", encoding="utf-8") as f:
        return [row["file"] for row in csv.DictReader(f, delimiter="\t")]


FILES = _files()
# Every vote type (approval, choose-1, ordinal, cumulative), every rule the files name
# (greedy, greedy-no-skip with a threshold, greedy-threshold, equal shares), every currency
# (PLN, HUF, EUR, CHF, USD), and the largest file (131,778 ballots): the whole set is too slow
# on PostgreSQL to run with every `make test`.
POSTGRES_FILES = {
    "Poland_Wroclaw_2015_150_-_500.pb",
    "Poland_Lodz_2020_Gorniak.pb",
    "Hungary_Budapest_2025_XI_Ujbuda.pb",
    "Netherlands_Assen_2024.pb",
    "Poland_Gdynia_2021_Babie_Doly__large.pb",
    "Poland_Katowice_2022_Dab.pb",
    "Poland_Czestochowa_2024_Stradom.pb",
    "Poland_Krakow_2019_Czyzyny.pb",
    "Poland_Poznan_2025_11_-_Fabianowo-Kotowo_Gorczyn_Junikowo_Kwiatowe_Lawica__small.pb",
    "Switzerland_Zurich_D5.pb",
    "US_Stanford_Dataset_PB_Cambridge_2015_vote_knapsacks.pb",
    "US_Stanford_Dataset_PB_Chicago_39th_Ward_2020_vote_rankings.pb",
}
CASES = [pytest.param("sqlite", name, id=f"sqlite-{name}") for name in FILES]
if POSTGRES_URL:
    CASES += [pytest.param("postgresql", name, id=f"postgresql-{name}")
              for name in FILES if name in POSTGRES_FILES]
if not FILES:
    CASES = [pytest.param("sqlite", None, id="no-data", marks=pytest.mark.skip(
        reason=f"pabulib data not found at {PABULIB}"))]
LIMITS = ("min_choices", "max_choices", "max_cost", "max_points", "min_points",
          "max_total_points", "min_total_points")


def _read(source, name: str):
    """Read a file at its currency's scale (read once to learn the currency)."""
    election, meta, info = pabulib.read(source)
    digits = minor_digits(meta.get("currency") or "GBP")
    if digits != 2:
        election, meta, info = pabulib.read(source, scale=10 ** digits)
    return election, meta, info


def _ballots(election) -> list[tuple]:
    return sorted((b.choices, b.points or ()) for b in election.ballots)


@pytest.mark.parametrize(("database_url", "name"), CASES, indirect=["database_url"])
def test_a_real_election_survives_import_export_and_count(app, name):
    path = PABULIB / name
    original, _, _ = _read(path, name)

    round_ = imports.import_election(path, "imported")
    db.session.commit()
    result = tallying.latest_result(round_)
    assert (round_.status, round_.pot, round_.ballot_type) == (
        "closed", original.budget, original.ballot_type)
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(
        Ballot.round_id == round_.id, Ballot.channel == "imported")) == len(original.ballots)
    assert set(db.session.scalars(select(Proposal.external_id))) == {
        p.id for p in original.projects}

    text = pabulib_io.round_pb(round_, result)
    again, meta, info = _read(text, name)
    assert again.budget == original.budget
    assert {p.id: p.cost for p in again.projects} == {p.id: p.cost for p in original.projects}
    assert again.ballot_type == original.ballot_type
    for limit in LIMITS:
        if getattr(original, limit):
            assert getattr(again, limit) == getattr(original, limit), limit
    assert _ballots(again) == _ballots(original)

    # The stored count is the count of the original file under the round's rule.
    expected = tally(original, rule=round_.rule, settings=dict(round_.rule_settings),
                     tie_break=TieBreak(round_.tie_break, round_.tie_break_seed or ""))
    ids = pabulib_io.export_ids(round_)
    stored = result.data
    assert [ids[pid] for pid in stored["selected"]] == expected.selected
    assert {ids[p["id"]]: p["award"] for p in stored["projects"]} == {
        o.id: o.award for o in expected.projects}
    assert (result.spent, result.ballot_count) == (expected.spent, len(original.ballots))
    # ... and the exported file, counted by the rule its META names, says the same.
    assert info["selected"] == sorted(expected.selected)
    recount = tally(again, rule=info["rule"], settings=info["settings"],
                    tie_break=TieBreak(meta["tie_break"], meta["tie_break_seed"]))
    assert recount.selected == expected.selected
