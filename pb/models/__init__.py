"""The domain model, one module per aggregate."""

from .audit import AuditEntry
from .codes import CodeBatch
from .council import Area, Council, Partnership
from .delivery import DeliveryUpdate, Follower
from .equality import EqualityResponse
from .invitation import Invitation
from .outbox import OutgoingEmail
from .paper import PaperBatch, PaperEntry
from .photo import Photo
from .proposal import Proposal, ProposalCostLine, ProposalEvent
from .result import TallyResult
from .round import Round
from .user import Membership, User
from .voting import Ballot, BallotChoice, VoterCredential

__all__ = [
    "Area",
    "AuditEntry",
    "Ballot",
    "BallotChoice",
    "CodeBatch",
    "Council",
    "DeliveryUpdate",
    "EqualityResponse",
    "Follower",
    "Invitation",
    "Membership",
    "OutgoingEmail",
    "PaperBatch",
    "PaperEntry",
    "Partnership",
    "Photo",
    "Proposal",
    "ProposalCostLine",
    "ProposalEvent",
    "Round",
    "TallyResult",
    "User",
    "VoterCredential",
]
