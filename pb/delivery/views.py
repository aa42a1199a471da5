from __future__ import annotations

import re

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db
from ..forms import ActionForm, attempt
from ..main.views import get_round
from ..models import Proposal, Round
from ..money import to_input
from ..services import access, delivery
from ..views_helpers import money
from . import bp, exports
from .forms import FollowForm, UpdateForm


def get_published_round(slug: str) -> Round:
    """The round, once its results are public; 404 before, so nothing about the count leaks."""
    round_ = get_round(slug)
    if not round_.results_public:
        abort(404)
    return round_


def _progress_page(round_: Round, form: FollowForm, status: int = 200):
    progress = delivery.progress(round_)
    reporting = {p.proposal.id for p in progress.projects
                 if access.can_report_delivery(current_user, p.proposal)}
    return render_template("delivery/progress.html", round=round_, progress=progress, form=form,
                           reporting=reporting,
                           monitoring=access.can_download_monitoring(current_user, round_)
                           ), status


@bp.get("/<slug>")
def progress(slug: str):
    """Show where a published round's money went, project by project."""
    return _progress_page(get_published_round(slug), FollowForm())


@bp.post("/<slug>/follow")
def follow(slug: str):
    """Ask for email updates on a round's funded projects; we email a link to confirm."""
    round_ = get_published_round(slug)
    form = FollowForm()
    if form.validate_on_submit():
        done, follower = attempt(form, delivery.follow, round_, form.email.data)
        if done:
            flash(_("Check your email. We have sent a link to %(email)s: open it to start getting "
                    "updates. If you already get them, nothing changes.", email=follower.email))
            return redirect(url_for("delivery.progress", slug=slug))
    return _progress_page(round_, form, 400)


def _follower_link(token: str, action: str, title: str, body: str, button: str, done):
    """Show what a link from an email will do; do it on a CSRF-checked POST."""
    try:
        follower = delivery.follower_from_token(token, action)
    except DomainError as error:
        return render_template("delivery/link.html", problem=error.message), 400
    form = ActionForm()
    if form.validate_on_submit():
        service, message = done
        if attempt(form, service, follower)[0]:
            flash(message % {"round": follower.round.title})
            return redirect(url_for("delivery.progress", slug=follower.round.slug))
    return render_template("delivery/link.html", follower=follower, form=form,
                           title=title % {"round": follower.round.title}, body=body, button=button)


@bp.route("/follow/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Confirm, from the link we emailed, that a resident wants a round's updates."""
    return _follower_link(
        token, delivery.CONFIRM, _("Get updates on %(round)s?"),
        _("We will email you when a funded project in this round posts an update. We use your "
          "email address for nothing else. Every email has a link to stop them."),
        _("Yes, send me updates"),
        (delivery.confirm_follow,
         _("Done. You will get an email when a funded project in %(round)s posts an update.")))


@bp.route("/stop/<token>", methods=["GET", "POST"])
def stop(token: str):
    """Stop a round's update emails, from the link at the foot of each one."""
    return _follower_link(
        token, delivery.STOP, _("Stop updates on %(round)s?"),
        _("We will not send you any more emails about this round."),
        _("Stop the emails"),
        (delivery.unfollow, _("Done. We will not email you about %(round)s again.")))


def _current_values(project: delivery.ProjectProgress) -> dict:
    currency = project.proposal.round.currency
    return {"status": project.status, "spent_to_date": to_input(project.spent, currency),
            "outputs": project.outputs, "match_funding": project.match_funding,
            "savings_per_year": to_input(project.savings_per_year, currency)}


@bp.route("/projects/<int:proposal_id>/update", methods=["GET", "POST"])
@login_required
def update(proposal_id: int):
    """Report how a funded project is going, in one short form."""
    proposal = db.session.get(Proposal, proposal_id)
    project = delivery.project_progress(proposal) if proposal is not None else None
    if project is None:
        abort(404)
    if not access.can_report_delivery(current_user, proposal):
        abort(403)
    form = UpdateForm(data=_current_values(project) if request.method == "GET" else None)
    currency = proposal.round.currency
    form.spent_to_date.currency = form.savings_per_year.currency = currency
    if form.validate_on_submit():
        data = delivery.UpdateInput(
            status=form.status.data, spent_to_date=form.spent_to_date.minor,
            outputs=form.outputs.data or "", savings_per_year=form.savings_per_year.minor,
            match_funding=form.match_funding.data or "", note=form.note.data or "",
            photo=form.photo.data)
        done, saved = attempt(form, delivery.record_update, current_user._get_current_object(),
                              proposal, data)
        if done:
            message = _("Progress saved for “%(title)s”.", title=proposal.title)
            over = saved.spent_to_date - project.award
            if over > 0:
                message += " " + _("Spending is %(over)s more than the %(award)s awarded.",
                                   over=money(over, currency), award=money(project.award, currency))
            flash(message)
            return redirect(url_for("delivery.progress", slug=proposal.round.slug,
                                    _anchor=f"project-{proposal.id}"))
    photo_lost = bool(form.errors) and bool(getattr(form.photo.data, "filename", "")) \
        and not form.photo.errors
    return render_template("delivery/update.html", form=form, proposal=proposal, project=project,
                           round=proposal.round, photo_lost=photo_lost
                           ), 400 if form.errors else 200


def _monitoring_round(slug: str) -> Round:
    round_ = get_published_round(slug)
    if not access.can_download_monitoring(current_user, round_):
        abort(403)
    return round_


def _download(body: bytes, slug: str, extension: str, mimetype: str):
    response = make_response(body)
    response.mimetype = mimetype
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", slug) or "round"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-monitoring.{extension}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<slug>/monitoring.csv")
@login_required
def monitoring_csv(slug: str):
    """Download a round's delivery monitoring as CSV, for organisers and scrutineers."""
    round_ = _monitoring_round(slug)
    body = exports.monitoring_csv(delivery.monitoring_rows(round_), round_.currency)
    response = _download(body.encode("utf-8"), slug, "csv", "text/csv")
    response.charset = "utf-8"
    return response


@bp.get("/<slug>/monitoring.xlsx")
@login_required
def monitoring_xlsx(slug: str):
    """Download a round's delivery monitoring as an Excel workbook."""
    round_ = _monitoring_round(slug)
    body = exports.monitoring_xlsx(delivery.monitoring_rows(round_), round_.currency)
    return _download(body, slug, "xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
