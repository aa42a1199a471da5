"""What the public sees of a round's proposals, and, once published, their results."""

from __future__ import annotations

from sqlalchemy import false, func, select

from ..extensions import db
from ..models import Proposal, Round
from ..models.proposal import PUBLIC, STATUS_LABELS
from . import tallying


def public_proposals(round_: Round, area: str = "", category: str = "",
                     status: str = "") -> list[Proposal]:
    """Proposals anyone may see, filtered; unknown filter values match nothing but are safe."""
    query = select(Proposal).where(Proposal.round_id == round_.id,
                                   Proposal.status.in_(PUBLIC))
    if area == "all":
        query = query.where(Proposal.whole_round.is_(True))
    elif area.isdigit():
        # An id too long for the 64-bit column matches nothing, like any other unknown area.
        query = query.where(Proposal.area_id == int(area) if len(area) <= 18 else false())
    if category:
        query = query.where(Proposal.category == category[:60])
    if status in PUBLIC:
        query = query.where(Proposal.status == status)
    return list(db.session.scalars(query.order_by(Proposal.title, Proposal.id)))


def count_public(round_: Round) -> int:
    return db.session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.round_id == round_.id, Proposal.status.in_(PUBLIC))) or 0


def filters(round_: Round) -> dict[str, list[tuple[str, str]]]:
    """The choices for the filter form."""
    return {
        "area": [(str(a.id), a.name) for a in round_.areas_in_play()],
        "category": round_.category_choices(),
        "status": [(s, str(STATUS_LABELS[s])) for s in PUBLIC],
    }


def outcomes(round_: Round) -> dict[int, dict]:
    """Each project's result, by proposal id, once the result is public; else empty."""
    if not round_.results_public:
        return {}
    result = tallying.latest_result(round_)
    if result is None:
        return {}
    found = {}
    for project in result.data.get("projects", []):
        try:
            found[int(project["id"])] = project
        except (KeyError, TypeError, ValueError):
            continue
    return found
