"""The tie-break chain: lowest cost, then most raw votes, then a lot drawn from a seed."""

from __future__ import annotations

import hashlib

from pb.tally.model import TieBreak
from pb.tally.profile import Profile

CRITERIA = ("cost", "votes", "lot")


def lot(seed: str, project_id: str) -> str:
    """Return the lot of one project: the hex sha256 of ``seed + ":" + project_id``.

    Lower lots win.
    """
    return hashlib.sha256(f"{seed}:{project_id}".encode()).hexdigest()


def chain_keys(profile: Profile, tie_break: TieBreak) -> list[tuple]:
    """Return, per project index, the key that orders tied projects (smaller first)."""
    return [
        (profile.costs[j], -profile.votes[j], lot(tie_break.seed, profile.ids[j]))
        for j in range(len(profile.ids))
    ]


def deciding_criterion(keys: list[tuple], winner: int, loser: int) -> str:
    """Return which link of the chain put ``winner`` ahead of ``loser``."""
    for name, a, b in zip(CRITERIA, keys[winner], keys[loser]):
        if a != b:
            return name
    return "lot"
