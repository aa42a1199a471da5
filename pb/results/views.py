from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..main.views import get_round
from ..models import Proposal
from ..services import access, tallying
from . import bp


@bp.get("/<slug>")
def round_results(slug: str):
    """Show a round's result: published to all, or a preview to its staff."""
    round_ = get_round(slug)
    preview = not round_.results_public
    if preview and not access.can_see_unpublished(current_user, round_):
        abort(404)
    result = tallying.latest_result(round_)
    if result is None:
        abort(404)
    proposals = {str(p.id): p for p in db.session.scalars(
        select(Proposal).where(Proposal.round_id == round_.id))}
    return render_template("results/round.html", round=round_, result=result,
                           rows=result.data["projects"], proposals=proposals, preview=preview,
                           names={key: p.title for key, p in proposals.items()})
