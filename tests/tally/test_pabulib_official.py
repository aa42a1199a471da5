"""`pb tally FILE` reproduces the official winners of every pabulib file whose MANIFEST says
they follow the rule named in META."""

import json

import pytest
from click.testing import CliRunner
from conftest import manifest

from pb.tally import pabulib
from pb.tally.cli import tally_command

OFFICIAL = [row["file"] for row in manifest() if row["official_selection_follows_plain_meta_rule"] == "yes"]
LARGE = {"Poland_Lodz_2022.pb", "Poland_Wroclaw_2015_150_-_500.pb"}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in LARGE else n for n in OFFICIAL],
    ids=OFFICIAL,
)
def test_official_selection(pabulib_dir, name):
    path = pabulib_dir / name
    _, _, info = pabulib.read(path)
    run = CliRunner().invoke(tally_command, [str(path)])
    assert run.exit_code == 0, run.output
    result = json.loads(run.stdout)
    assert sorted(result["selected"]) == info["selected"]
    assert result["spent"] <= result["budget"]


def test_manifest_lists_official_files(pabulib_dir):
    assert len(OFFICIAL) >= 40
