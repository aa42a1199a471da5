from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..errors import DomainError
from ..extensions import db
from ..forms import ActionForm, show_error
from ..models import VoterCredential
from ..services import voting
from . import bp
from .forms import CodeForm, ReceiptForm

KEY = "ballot"


def _current():
    """The ballot in progress and its still-unused credential, or None."""
    state = session.get(KEY)
    if not isinstance(state, dict):
        return None, None
    credential = db.session.get(VoterCredential, state.get("credential"))
    if credential is None or credential.used_at is not None or not credential.round.is_voting_open:
        session.pop(KEY, None)
        return None, None
    return state, credential


def _restart(message: str):
    flash(message, "error")
    return redirect(url_for("vote.start"))


@bp.route("/", methods=["GET", "POST"])
def start():
    """Ask for a voting code."""
    form = CodeForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:40]
    if form.validate_on_submit():
        try:
            credential = voting.find_credential(form.code.data)
        except DomainError as error:
            show_error(form, error)
        else:
            session[KEY] = {"credential": credential.id, "choices": []}
            return redirect(url_for("vote.ballot"))
    return render_template("vote/start.html", form=form), 400 if form.errors else 200


@bp.route("/ballot", methods=["GET", "POST"])
def ballot():
    """Let the resident choose projects that fit the pot."""
    state, credential = _current()
    if credential is None:
        return _restart(_("Enter your voting code to start."))
    round_ = credential.round
    form = ActionForm()
    projects = voting.ballot_projects(round_)
    chosen = {str(c) for c in state.get("choices", [])}
    if request.method == "POST":
        submitted = request.form.getlist("projects")[:500]
        chosen = set(submitted)
        if form.validate_on_submit():
            try:
                picked = voting.validate_choices(round_, submitted, projects)
            except DomainError as error:
                form.form_errors.append(error.message)
            else:
                session[KEY] = {**state, "choices": [p.id for p in picked]}
                return redirect(url_for("vote.review"))
    return render_template(
        "vote/ballot.html", form=form, round=round_, projects=projects, chosen=chosen,
        total=sum(p.cost for p in projects if str(p.id) in chosen),
        summary_errors=[("project-" + str(projects[0].id) if projects else "", m)
                        for m in form.form_errors],
    ), 400 if form.form_errors or form.errors else 200


@bp.get("/review")
def review():
    """Show the resident's choices before they submit."""
    state, credential = _current()
    if credential is None:
        return _restart(_("Enter your voting code to start."))
    try:
        picked = voting.validate_choices(credential.round, state.get("choices", []))
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("vote.ballot"))
    return render_template("vote/review.html", round=credential.round, picked=picked,
                           total=sum(p.cost for p in picked), form=ActionForm())


@bp.post("/submit")
def submit():
    """Cast the ballot."""
    state, credential = _current()
    if credential is None:
        return _restart(_("That code has already been used, or voting has closed."))
    if not ActionForm().validate_on_submit():
        return redirect(url_for("vote.review"))
    try:
        ballot = voting.cast_ballot(credential.id, state.get("choices", []))
    except DomainError as error:
        db.session.rollback()
        if error.field == "code":
            session.pop(KEY, None)
            return _restart(error.message)
        flash(error.message, "error")
        return redirect(url_for("vote.ballot"))
    db.session.commit()
    session.pop(KEY, None)
    session["receipt"] = {"code": ballot.receipt, "round": credential.round.title}
    return redirect(url_for("vote.done"))


@bp.get("/done")
def done():
    """Thank the resident and give them their receipt."""
    receipt = session.get("receipt")
    if not isinstance(receipt, dict):
        return redirect(url_for("vote.start"))
    return render_template("vote/done.html", receipt=receipt)


@bp.post("/leave")
def leave():
    """Forget the ballot in progress, so the next person starts fresh."""
    if ActionForm().validate_on_submit():
        session.pop(KEY, None)
    return redirect(url_for("main.index"))


@bp.get("/receipt")
def receipt():
    """Check that the ballot with a receipt code is in the count."""
    form = ReceiptForm(request.args)
    found = None
    checked = bool(request.args.get("receipt"))
    if checked and form.validate():
        found = voting.find_receipt(form.receipt.data)
    return render_template("vote/receipt.html", form=form, found=found, checked=checked)
