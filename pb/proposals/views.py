from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..forms import attempt
from ..main.views import get_round
from ..services import access, proposals
from . import bp
from .forms import ProposalForm


@bp.route("/new/<slug>", methods=["GET", "POST"])
@login_required
def new(slug: str):
    """Submit a proposal to a round."""
    round_ = get_round(slug)
    partnerships = access.proposing_partnerships(current_user, round_)
    if not partnerships:
        abort(403)
    form = ProposalForm()
    form.partnership.choices = [SelectChoice(p.id, p.name) for p in partnerships]
    form.area.choices = [SelectChoice(0, _("Not specific to one area"))] + [
        SelectChoice(a.id, f"{a.name} ({p.name})") for p in partnerships for a in p.areas]
    if form.validate_on_submit():
        data = proposals.ProposalInput(
            partnership_id=form.partnership.data, title=form.title.data,
            summary=form.summary.data, description=form.description.data or "",
            cost=form.cost.minor, area_id=form.area.data or None,
            category=form.category.data, contact=form.contact.data)
        done, proposal = attempt(form, proposals.submit_proposal, current_user, round_, data)
        if done:
            flash(_("Your proposal has been sent for review."))
            return redirect(url_for("main.project", proposal_id=proposal.id))
    status = 400 if form.errors else 200
    return render_template("proposals/new.html", form=form, round=round_), status
