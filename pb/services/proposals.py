"""Submitting and moderating proposals."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from ..extensions import db
from ..models import Area, Partnership, Proposal, Round, User
from ..models.proposal import SUMMARY_MAX
from ..models.round import DRAFT, PROPOSALS
from ..money import format_money
from . import access, audit


@dataclass
class ProposalInput:
    partnership_id: int | None
    title: str
    summary: str
    description: str
    cost: int
    area_id: int | None
    category: str | None
    contact: str
    proposer_name: str = ""
    proposer_type: str = "partnership"


def submit_proposal(user: User, round_: Round, data: ProposalInput) -> Proposal:
    """Submit a proposal on behalf of one of the user's partnerships."""
    if round_.status != PROPOSALS:
        raise DomainError(str(_l("This round is not taking proposals now.")))
    allowed = {p.id: p for p in access.proposing_partnerships(user, round_)}
    partnership: Partnership | None = allowed.get(data.partnership_id or -1)
    if partnership is None:
        raise DomainError(str(_l("Choose a partnership you belong to.")), field="partnership")
    if not data.title.strip():
        raise DomainError(str(_l("Enter a title.")), field="title")
    if not data.summary.strip():
        raise DomainError(str(_l("Enter a short summary.")), field="summary")
    if len(data.summary.strip()) > SUMMARY_MAX:
        raise DomainError(
            str(_l("Keep the summary to %(n)s characters or fewer.", n=SUMMARY_MAX)), field="summary"
        )
    if data.cost > round_.pot:
        raise DomainError(
            str(_l("The amount is more than the whole pot of %(pot)s.",
                   pot=format_money(round_.pot, round_.currency))),
            field="cost",
        )
    area = db.session.get(Area, data.area_id) if data.area_id else None
    if area is not None and area.partnership_id != partnership.id:
        raise DomainError(str(_l("Choose an area this partnership covers.")), field="area")
    proposal = Proposal(
        round=round_,
        partnership=partnership,
        area=area,
        created_by=user,
        proposer_type=data.proposer_type,
        proposer_name=data.proposer_name.strip() or partnership.name,
        title=data.title.strip(),
        summary=data.summary.strip(),
        description=data.description.strip(),
        cost=data.cost,
        category=data.category or None,
        contact=data.contact.strip(),
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(user, "proposal.submitted", proposal, round=round_.slug, cost=data.cost)
    return proposal


def approve_proposal(user: User, proposal: Proposal) -> None:
    """Put a proposal on the ballot."""
    access.require_organiser(user, proposal.round)
    _require_before_voting(proposal.round)
    proposal.approve()
    audit.record(user, "proposal.approved", proposal, round=proposal.round.slug)


def reject_proposal(user: User, proposal: Proposal, reason: str) -> None:
    """Keep a proposal off the ballot, saying why."""
    access.require_organiser(user, proposal.round)
    _require_before_voting(proposal.round)
    proposal.reject(reason)
    audit.record(user, "proposal.rejected", proposal, round=proposal.round.slug, reason=reason)


def _require_before_voting(round_: Round) -> None:
    if round_.status not in (DRAFT, PROPOSALS):
        raise DomainError(str(_l("The ballot cannot change once voting has opened.")))
