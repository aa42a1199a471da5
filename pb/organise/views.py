from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..forms import ActionForm, attempt
from ..main.views import get_round
from ..models import AuditEntry, Proposal
from ..models.proposal import SUBMITTED
from ..services import access, proposals, rounds, tallying, voting
from . import bp
from .forms import CodesForm, RejectForm


def get_organised_round(slug: str):
    """The round, if the current user organises it; else 404 or 403."""
    round_ = get_round(slug)
    if not access.can_organise(current_user, round_):
        abort(403)
    return round_


def get_proposal(round_, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.round_id != round_.id:
        abort(404)
    return proposal


CONFIRMATIONS = {
    "open_voting": (_l("Open voting?"), _l("Residents can vote as soon as it opens. The projects on "
                    "the ballot and how the money is shared cannot be changed afterwards."),
                    _l("Yes, open voting")),
    "close": (_l("Close voting and count?"), _l("Nobody can vote after this. The ballots are "
              "counted at once; only staff see the result until you publish it."),
              _l("Yes, close voting and count")),
    "publish": (_l("Publish the results?"), _l("Everyone will be able to see the results. This "
                "cannot be undone."), _l("Yes, publish the results")),
}


def _act(action, *args, success: str, slug: str, confirm: str):
    """Ask first on GET; on a CSRF-checked POST run one state-changing service, then go back."""
    if request.method == "GET":
        round_ = args[0]
        title, body, button = CONFIRMATIONS[confirm]
        waiting = sum(1 for p in round_.proposals if p.status == SUBMITTED)
        return render_template("organise/confirm.html", round=round_, title=title, body=body,
                               button=button, form=ActionForm(),
                               waiting=waiting if confirm == "open_voting" else 0)
    return _run(action, *args, success=success, slug=slug)


def _run(action, *args, success: str, slug: str):
    """Run one service behind a CSRF-checked button; say how it went on the round page."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    done, _result = attempt(form, action, current_user, *args)
    for message in form.form_errors:
        flash(message, "error")
    if done:
        flash(success)
    return redirect(url_for("organise.round_dashboard", slug=slug))


@bp.get("/<slug>")
@login_required
def round_dashboard(slug: str):
    """Show the organiser a round's proposals, voting and results."""
    round_ = get_organised_round(slug)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.round_id == round_.id)
        .order_by(AuditEntry.id.desc()).limit(30))
    return render_template(
        "organise/round.html", round=round_, action_form=ActionForm(),
        ballots=rounds.ballot_count(round_), result=tallying.latest_result(round_),
        history=list(entries))


@bp.post("/<slug>/proposals/<int:proposal_id>/approve")
@login_required
def approve(slug: str, proposal_id: int):
    """Put a proposal on the ballot."""
    round_ = get_organised_round(slug)
    proposal = get_proposal(round_, proposal_id)
    return _run(proposals.approve_proposal, proposal, slug=slug,
                success=_("“%(title)s” is on the ballot.", title=proposal.title))


@bp.route("/<slug>/proposals/<int:proposal_id>/reject", methods=["GET", "POST"])
@login_required
def reject(slug: str, proposal_id: int):
    """Keep a proposal off the ballot, with a reason."""
    round_ = get_organised_round(slug)
    proposal = get_proposal(round_, proposal_id)
    form = RejectForm()
    if form.validate_on_submit() and attempt(form, proposals.reject_proposal, current_user,
                                             proposal, form.reason.data)[0]:
        flash(_("“%(title)s” will not be on the ballot.", title=proposal.title))
        return redirect(url_for("organise.round_dashboard", slug=slug))
    return render_template("organise/reject.html", form=form, round=round_,
                           proposal=proposal), 400 if form.errors else 200


@bp.route("/<slug>/open-voting", methods=["GET", "POST"])
@login_required
def open_voting(slug: str):
    """Open voting on the approved projects, after asking."""
    round_ = get_organised_round(slug)
    return _act(rounds.open_voting, round_, slug=slug, success=_("Voting is open."),
                confirm="open_voting")


@bp.route("/<slug>/codes", methods=["GET", "POST"])
@login_required
def codes(slug: str):
    """Make a batch of single-use voting codes and show them once."""
    round_ = get_organised_round(slug)
    form = CodesForm()
    issued: list[str] = []
    if form.validate_on_submit():
        issued = attempt(form, voting.issue_codes, current_user, round_, form.count.data,
                         form.batch.data or "")[1] or []
    return render_template("organise/codes.html", form=form, round=round_,
                           issued=issued), 400 if form.errors else 200


@bp.route("/<slug>/close", methods=["GET", "POST"])
@login_required
def close(slug: str):
    """Close voting and count the ballots, after asking."""
    round_ = get_organised_round(slug)
    return _act(rounds.close_voting, round_, slug=slug,
                success=_("Voting is closed and the ballots are counted. Check the result, "
                          "then publish it."), confirm="close")


@bp.route("/<slug>/publish", methods=["GET", "POST"])
@login_required
def publish(slug: str):
    """Publish the counted result, after asking."""
    round_ = get_organised_round(slug)
    return _act(rounds.publish_results, round_, slug=slug,
                success=_("The results are now public."), confirm="publish")
