from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..errors import DomainError
from ..extensions import db
from ..forms import ActionForm, show_error
from ..models import VoterCredential
from ..services import ballots, voting
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
            session[KEY] = {"credential": credential.id, "marks": []}
            return redirect(url_for("vote.ballot"))
    return render_template("vote/start.html", form=form), 400 if form.errors else 200


@bp.route("/ballot", methods=["GET", "POST"])
def ballot():
    """Let the resident fill in the ballot."""
    state, credential = _current()
    if credential is None:
        return _restart(_("Enter your voting code to start."))
    round_ = credential.round
    form = ActionForm()
    projects = voting.ballot_projects(round_)
    rules = voting.rules_for(round_, projects)
    marks = [tuple(m) for m in state.get("marks", [])]
    values = ballots.values_of(marks)
    problems: list[tuple[str, str]] = []
    if request.method == "POST":
        filled = ballots.read(rules, projects, request.form)
        values, problems = filled.values, filled.problems
        if form.validate_on_submit() and filled.ok:
            session[KEY] = {**state, "marks": filled.marks}
            return redirect(url_for("vote.review"))
        if not form.validate_on_submit() and not problems:
            problems = [("projects-fieldset", _("Your session had expired. Check your choices "
                                                  "and send them again."))]
    chosen = {str(pid) for pid in values}
    return render_template(
        "vote/ballot.html", form=form, round=round_, projects=projects, rules=rules,
        values=values, chosen=chosen, problems=problems,
        total=sum(p.cost for p in projects if str(p.id) in chosen),
        summary_errors=problems,
    ), 400 if problems else 200


@bp.get("/review")
def review():
    """Show the resident's choices before they submit."""
    state, credential = _current()
    if credential is None:
        return _restart(_("Enter your voting code to start."))
    projects = voting.ballot_projects(credential.round)
    rules = voting.rules_for(credential.round, projects)
    marks = [tuple(m) for m in state.get("marks", [])]
    problems = ballots.check(rules, projects, marks)
    if problems:
        flash(problems[0][1], "error")
        return redirect(url_for("vote.ballot"))
    by_id = {p.id: p for p in projects}
    picked = [by_id[pid] for pid, _value in marks]
    return render_template("vote/review.html", round=credential.round, picked=picked,
                           marks=marks, rules=rules,
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
        ballot = voting.cast_ballot(credential.id, [tuple(m) for m in state.get("marks", [])],
                                    channel=state.get("channel", "online"),
                                    district=state.get("district"))
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
    session["equality"] = credential.round_id if credential.round.equality_questions else None
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
