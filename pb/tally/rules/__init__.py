"""Allocation rules. Each takes a :class:`~pb.tally.profile.Profile` and returns a :class:`Decision`."""

from __future__ import annotations

from dataclasses import dataclass, field

from pb.tally.model import Reason


@dataclass
class Decision:
    """What a rule decided, in project indices.

    Attributes
    ----------
    funded : list of tuple
        ``(index, award, reason)`` in order of selection.
    reasons : dict
        Index to :class:`Reason` for every project not funded.
    details : dict
        Rule-specific facts recorded in the result.
    """

    funded: list = field(default_factory=list)
    reasons: dict[int, Reason] = field(default_factory=dict)
    details: dict = field(default_factory=dict)
