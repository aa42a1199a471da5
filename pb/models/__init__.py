"""The domain model, one module per aggregate."""

from .audit import AuditEntry
from .council import Area, Council, Partnership
from .invitation import Invitation
from .outbox import OutgoingEmail
from .photo import Photo
from .proposal import Proposal
from .result import TallyResult
from .round import Round
from .user import Membership, User
from .voting import Ballot, BallotChoice, VoterCredential

__all__ = [
    "Area",
    "AuditEntry",
    "Ballot",
    "BallotChoice",
    "Council",
    "Invitation",
    "Membership",
    "OutgoingEmail",
    "Partnership",
    "Photo",
    "Proposal",
    "Round",
    "TallyResult",
    "User",
    "VoterCredential",
]
