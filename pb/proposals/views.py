from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..forms import ActionForm, attempt
from ..main.views import get_round
from ..models import Proposal
from ..money import to_input
from ..services import access, proposals
from . import bp
from .forms import ProposalForm


def get_own_proposal(proposal_id: int) -> Proposal:
    """The current user's proposal, or 404."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.created_by_id != current_user.id:
        abort(404)
    return proposal


def _choices(form: ProposalForm, round_) -> None:
    """Fill the form's lists from the round: who may propose, areas, categories."""
    types = proposals.proposer_types(current_user, round_)
    form.proposer_type.choices = [SelectChoice(k, v) for k, v in types.items()]
    if not form.proposer_type.data or form.proposer_type.data == "None":
        form.proposer_type.data = "partnership" if "partnership" in types else "resident"
    form.partnership.choices = [SelectChoice(p.id, p.name)
                                for p in access.proposing_partnerships(current_user, round_)]
    form.area.choices = [SelectChoice("", _("Choose an area")),
                         SelectChoice(proposals.WHOLE_ROUND, _("All the areas of this round"))] + [
        SelectChoice(str(a.id), a.name) for a in round_.areas_in_play()]
    form.category.choices = [SelectChoice("", _("Choose a category"))] + [
        SelectChoice(k, v) for k, v in round_.category_choices()]


def _input(form: ProposalForm) -> proposals.ProposalInput:
    return proposals.ProposalInput(
        title=form.title.data or "", summary=form.summary.data or "",
        description=form.description.data or "", cost=form.cost.minor,
        cost_lines=[(e.form.item.data or "", e.form.amount.minor) for e in form.cost_lines],
        area=form.area.data or "", category=form.category.data or "",
        contact=form.contact.data or "", proposer_type=form.proposer_type.data or "",
        proposer_name=form.proposer_name.data or "",
        partnership_id=form.partnership.data if form.proposer_type.data == "partnership" else None,
        easy_read_summary=form.easy_read_summary.data or "", title_cy=form.title_cy.data or "",
        summary_cy=form.summary_cy.data or "",
        easy_read_summary_cy=form.easy_read_summary_cy.data or "")


def _form_for(proposal: Proposal) -> ProposalForm:
    """The form filled in from a saved proposal, amounts as a person would type them."""
    currency = proposal.round.currency
    lines = [{"item": line.item, "amount": to_input(line.amount, currency)}
             for line in proposal.cost_lines]
    lines += [{"item": "", "amount": ""}] * max(0, 3 - len(lines))
    return ProposalForm(data={
        "proposer_type": proposal.proposer_type, "partnership": proposal.partnership_id,
        "proposer_name": proposal.proposer_name, "title": proposal.title,
        "summary": proposal.summary, "description": proposal.description,
        "cost": to_input(proposal.cost, currency), "cost_lines": lines,
        "area": proposals.area_choice(proposal), "category": proposal.category or "",
        "contact": proposal.contact, "easy_read_summary": proposal.easy_read_summary,
        "title_cy": proposal.title_cy, "summary_cy": proposal.summary_cy,
        "easy_read_summary_cy": proposal.easy_read_summary_cy})


def _handle(form: ProposalForm, round_, proposal: Proposal | None):
    """Save a draft, send it, or add a cost line; return a redirect or None to re-render."""
    action = request.form.get("action", "draft")
    if action == "add_line":
        if len(form.cost_lines) < form.cost_lines.max_entries:
            form.cost_lines.append_entry()
        return None
    if not form.validate_on_submit():
        return None
    service = proposals.save_and_submit if action == "submit" else proposals.save_draft
    done, saved = attempt(form, service, current_user, round_, _input(form), form.photo.data,
                          proposal)
    if not done:
        return None
    flash(_("Your proposal has been sent for review. We have emailed you a copy.")
          if action == "submit" else _("Your draft is saved. You can come back to it."))
    return redirect(url_for("proposals.show", proposal_id=saved.id))


@bp.route("/new/<slug>", methods=["GET", "POST"])
@login_required
def new(slug: str):
    """Write a proposal for a round."""
    round_ = get_round(slug)
    if not round_.is_taking_proposals and request.method == "GET":
        flash(_("%(round)s is not taking proposals now.", round=round_.title), "error")
        return redirect(url_for("main.round_page", slug=slug))
    form = ProposalForm()
    _choices(form, round_)
    if request.method == "POST" and (done := _handle(form, round_, None)) is not None:
        return done
    return render_template("proposals/form.html", form=form, round=round_, proposal=None,
                           band=proposals.band_text(round_)), 400 if form.errors else 200


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    """Change a draft, or a proposal the organisers asked to change."""
    proposal = get_own_proposal(proposal_id)
    if not proposal.is_editable:
        flash(_("This proposal is with the organisers and cannot be changed now."), "error")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    form = ProposalForm() if request.method == "POST" else _form_for(proposal)
    _choices(form, proposal.round)
    if request.method == "POST" and (done := _handle(form, proposal.round, proposal)) is not None:
        return done
    return render_template("proposals/form.html", form=form, round=proposal.round,
                           proposal=proposal, band=proposals.band_text(proposal.round)), \
        400 if form.errors else 200


@bp.get("/<int:proposal_id>")
@login_required
def show(proposal_id: int):
    """Show the proposer their proposal, its status and its history."""
    proposal = get_own_proposal(proposal_id)
    problems = proposals.missing(proposal) if proposal.status == "draft" else []
    return render_template("proposals/show.html", proposal=proposal, round=proposal.round,
                           form=ActionForm(), problems=[p.message for p in problems])


@bp.post("/<int:proposal_id>/submit")
@login_required
def submit(proposal_id: int):
    """Send a finished draft for review."""
    proposal = get_own_proposal(proposal_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    done, _saved = attempt(form, proposals.submit, current_user, proposal)
    for message in form.form_errors + [m for f in form for m in f.errors]:
        flash(message, "error")
    if done:
        flash(_("Your proposal has been sent for review. We have emailed you a copy."))
    return redirect(url_for("proposals.show", proposal_id=proposal.id))


@bp.route("/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(proposal_id: int):
    """Withdraw a proposal from the round, after asking."""
    proposal = get_own_proposal(proposal_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        done, _saved = attempt(form, proposals.withdraw, current_user, proposal)
        if done:
            flash(_("“%(title)s” is withdrawn.", title=proposal.title))
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/withdraw.html", proposal=proposal, round=proposal.round,
                           form=form), 400 if form.form_errors else 200
