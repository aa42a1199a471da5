"""The tally engine: exact, explained counting of participatory-budgeting votes.

Pure Python; no web or database imports. Money is in integer minor units (pence).
"""

from pb.tally.engine import RULES, tally
from pb.tally.model import (
    BALLOT_TYPES,
    ENGINE_VERSION,
    Ballot,
    Election,
    Project,
    ProjectOutcome,
    Reason,
    Result,
    TallyError,
    TieBreak,
    TieError,
)

__all__ = [
    "BALLOT_TYPES",
    "ENGINE_VERSION",
    "RULES",
    "Ballot",
    "Election",
    "Project",
    "ProjectOutcome",
    "Reason",
    "Result",
    "TallyError",
    "TieBreak",
    "TieError",
    "tally",
]
