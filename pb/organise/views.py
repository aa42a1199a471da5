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
from ..models.proposal import APPROVED, SUBMITTED
from ..services import access, proposals, rounds, tallying
from . import bp
from .forms import AdjustCostForm, ChangesForm, RejectForm


def get_organised_round(slug: str):
    """The round, if the current user organises it; else 404 or 403."""
    round_ = get_round(slug)
    if not access.can_organise(current_user, round_):
        abort(403)
    return round_


def get_proposal(round_, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    # A draft is the proposer's own until they send it.
    if proposal is None or proposal.round_id != round_.id or proposal.status == "draft":
        abort(404)
    return proposal


CONFIRMATIONS = {
    "open_voting": (_l("Open voting?"), _l("Residents can vote as soon as it opens. The projects on "
                    "the ballot and how the money is shared cannot be changed afterwards."),
                    _l("Yes, open voting")),
    "close": (_l("Close voting and count?"), _l("Nobody can vote after this. The ballots are "
              "counted at once; only staff see the result until you publish it."),
              _l("Yes, close voting and count")),
    "open_proposals": (_l("Start taking proposals?"), _l("Anyone signed in can then propose a "
                       "project. Check the award band, categories and dates first."),
                       _l("Yes, start taking proposals")),
    "close_proposals": (_l("Stop taking proposals?"), _l("Proposers can finish nothing new after "
                        "this. You can then review and shortlist the proposals."),
                        _l("Yes, stop taking proposals")),
    "break_tie": (_l("Break the tie by the published tie-break?"), _l("The tied projects are "
                  "put in order by lowest cost, then most votes, then by lot drawn from the "
                  "seed published when voting opened. The ballots are then counted."),
                  _l("Yes, break the tie and count")),
    "publish": (_l("Publish the results?"), _l("Everyone will be able to see the results. This "
                "cannot be undone."), _l("Yes, publish the results")),
}


def _act(action, *args, success: str, slug: str, confirm: str, if_none: str | None = None):
    """Ask first on GET; on a CSRF-checked POST run one state-changing service, then go back."""
    if request.method == "GET":
        round_ = args[0]
        title, body, button = CONFIRMATIONS[confirm]
        waiting = sum(1 for p in round_.proposals if p.status in (SUBMITTED, APPROVED))
        return render_template("organise/confirm.html", round=round_, title=title, body=body,
                               button=button, form=ActionForm(),
                               waiting=waiting if confirm == "open_voting" else 0)
    return _run(action, *args, success=success, slug=slug, if_none=if_none)


def _run(action, *args, success: str, slug: str, if_none: str | None = None):
    """Run one service behind a CSRF-checked button; say how it went on the round page."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    done, result = attempt(form, action, current_user, *args)
    for message in form.form_errors:
        flash(message, "error")
    if done and result is None and if_none:
        flash(if_none, "error")
    elif done:
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
        tie=rounds.stopping_tie(round_), history=list(entries))


@bp.get("/<slug>/proposals/<int:proposal_id>")
@login_required
def review(slug: str, proposal_id: int):
    """Show a proposal in full, with its history and what the organiser can do."""
    round_ = get_organised_round(slug)
    proposal = get_proposal(round_, proposal_id)
    return render_template("organise/review.html", round=round_, proposal=proposal,
                           action_form=ActionForm(), changes_form=ChangesForm(),
                           reject_form=RejectForm(), cost_form=AdjustCostForm(),
                           band=proposals.band_text(round_))


def _moderate(slug: str, proposal_id: int, service, success):
    round_ = get_organised_round(slug)
    proposal = get_proposal(round_, proposal_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    done, _result = attempt(form, service, current_user, proposal)
    for message in form.form_errors:
        flash(message, "error")
    if done:
        flash(success % {"title": proposal.title})
    return redirect(request.form.get("back") == "round"
                    and url_for("organise.round_dashboard", slug=slug)
                    or url_for("organise.review", slug=slug, proposal_id=proposal_id))


@bp.post("/<slug>/proposals/<int:proposal_id>/approve")
@login_required
def approve(slug: str, proposal_id: int):
    """Approve a proposal as meeting the round's criteria."""
    return _moderate(slug, proposal_id, proposals.approve_proposal,
                     _("“%(title)s” is approved. Put it on the ballot when you are ready."))


@bp.post("/<slug>/proposals/<int:proposal_id>/shortlist")
@login_required
def shortlist(slug: str, proposal_id: int):
    """Put an approved proposal on the ballot."""
    return _moderate(slug, proposal_id, proposals.shortlist, _("“%(title)s” is on the ballot."))


@bp.post("/<slug>/proposals/<int:proposal_id>/unshortlist")
@login_required
def unshortlist(slug: str, proposal_id: int):
    """Take a proposal off the ballot before voting opens."""
    return _moderate(slug, proposal_id, proposals.unshortlist,
                     _("“%(title)s” is no longer on the ballot."))


def _moderation_form(slug: str, proposal_id: int, form, service, args, success):
    """A moderation step that needs words (and maybe an amount) from the organiser."""
    round_ = get_organised_round(slug)
    proposal = get_proposal(round_, proposal_id)
    if form.validate_on_submit() and attempt(form, service, current_user, proposal,
                                             *args(form))[0]:
        flash(success % {"title": proposal.title})
        return redirect(url_for("organise.review", slug=slug, proposal_id=proposal_id))
    forms = {"changes_form": ChangesForm(formdata=None), "reject_form": RejectForm(formdata=None),
             "cost_form": AdjustCostForm(formdata=None)}
    forms[{ChangesForm: "changes_form", RejectForm: "reject_form",
           AdjustCostForm: "cost_form"}[type(form)]] = form
    status = 400 if form.errors or form.form_errors else 200
    return render_template("organise/review.html", round=round_, proposal=proposal,
                           action_form=ActionForm(), band=proposals.band_text(round_),
                           **forms), status


@bp.route("/<slug>/proposals/<int:proposal_id>/reject", methods=["GET", "POST"])
@login_required
def reject(slug: str, proposal_id: int):
    """Keep a proposal off the ballot, with a reason."""
    return _moderation_form(slug, proposal_id, RejectForm(), proposals.reject_proposal,
                            lambda f: (f.reason.data,), _("“%(title)s” will not be on the ballot."))


@bp.route("/<slug>/proposals/<int:proposal_id>/changes", methods=["GET", "POST"])
@login_required
def ask_for_changes(slug: str, proposal_id: int):
    """Send a proposal back to its proposer with a note."""
    return _moderation_form(slug, proposal_id, ChangesForm(), proposals.ask_for_changes,
                            lambda f: (f.note.data,),
                            _("“%(title)s” has gone back to the proposer to change."))


@bp.route("/<slug>/proposals/<int:proposal_id>/cost", methods=["GET", "POST"])
@login_required
def adjust_cost(slug: str, proposal_id: int):
    """Change a proposal's amount, with a recorded reason."""
    return _moderation_form(slug, proposal_id, AdjustCostForm(), proposals.adjust_cost,
                            lambda f: (f.amount.minor, f.reason.data),
                            _("The amount for “%(title)s” is changed."))


@bp.route("/<slug>/open-proposals", methods=["GET", "POST"])
@login_required
def open_proposals(slug: str):
    """Start taking proposals, after asking."""
    round_ = get_organised_round(slug)
    return _act(rounds.open_proposals, round_, slug=slug,
                success=_("The round is taking proposals."), confirm="open_proposals")


@bp.route("/<slug>/close-proposals", methods=["GET", "POST"])
@login_required
def close_proposals(slug: str):
    """Stop taking proposals, after asking."""
    round_ = get_organised_round(slug)
    return _act(rounds.close_proposals, round_, slug=slug,
                success=_("The round has stopped taking proposals. Review and shortlist them."),
                confirm="close_proposals")


@bp.route("/<slug>/open-voting", methods=["GET", "POST"])
@login_required
def open_voting(slug: str):
    """Open voting on the shortlisted projects, after asking."""
    round_ = get_organised_round(slug)
    return _act(rounds.open_voting, round_, slug=slug, success=_("Voting is open."),
                confirm="open_voting")


@bp.route("/<slug>/close", methods=["GET", "POST"])
@login_required
def close(slug: str):
    """Close voting and count the ballots, after asking."""
    round_ = get_organised_round(slug)
    return _act(rounds.close_voting, round_, slug=slug,
                success=_("Voting is closed and the ballots are counted. Check the result, "
                          "then publish it."), confirm="close",
                if_none=_("Voting is closed, but the count stopped on a tie that decides the "
                          "outcome. Settle it below."))


@bp.route("/<slug>/break-tie", methods=["GET", "POST"])
@login_required
def break_tie(slug: str):
    """Settle a tie that stopped the count with the published tie-break, after asking."""
    round_ = get_organised_round(slug)
    return _act(rounds.count_by_lot, round_, slug=slug,
                success=_("The tie was broken by the published tie-break and the ballots are "
                          "counted. Check the result, then publish it."), confirm="break_tie")


@bp.route("/<slug>/publish", methods=["GET", "POST"])
@login_required
def publish(slug: str):
    """Publish the counted result, after asking."""
    round_ = get_organised_round(slug)
    return _act(rounds.publish_results, round_, slug=slug,
                success=_("The results are now public."), confirm="publish")
