"""Fixtures for the tally engine tests: the pabulib data directory and small elections."""

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PABULIB = Path(os.environ.get("PB_PABULIB_DIR", REPO.parent / "shared" / "pabulib"))


def manifest() -> list[dict]:
    """Return the rows of pabulib's MANIFEST.tsv (empty when the data is absent)."""
    path = PABULIB / "MANIFEST.tsv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.fixture
def pabulib_dir() -> Path:
    """The directory of real pabulib elections; skips when it is missing."""
    if not PABULIB.exists():
        pytest.skip(f"pabulib data not found at {PABULIB}")
    return PABULIB
