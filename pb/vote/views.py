from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..errors import DomainError
from .. import limits
from ..extensions import db, limiter
from ..forms import ActionForm, show_error
from ..models import VoterCredential
from ..services import ballots, voting
from . import bp, kiosk
from .state import BALLOT as KEY, EQUALITY, start_ballot
from .forms import CodeForm, ReceiptForm


@bp.after_request
def _private(response):
    """Codes travel in vote URLs (QR cards): never cache these pages or leak them onwards."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _current():
    """The ballot in progress and a credential that may still vote, or a reason why not."""
    state = session.get(KEY)
    if not isinstance(state, dict):
        return None, None, _("Enter your voting code to start.")
    credential = db.session.get(VoterCredential, state.get("credential"),
                                options=[joinedload(VoterCredential.round)])
    if credential is None:
        message = _("Enter your voting code to start.")
    elif not credential.round.is_voting_open:
        message = voting.closed_message(credential.round)
    elif credential.used_at is not None and not voting.may_change_vote(credential):
        message = _("That code has already been used to vote.")
    else:
        return state, credential, None
    session.pop(KEY, None)
    return None, None, message


def _marks(state) -> list[tuple[int, int]]:
    return [(int(pid), int(value)) for pid, value in state.get("marks", [])]


def _restart(message: str):
    flash(message, "error")
    return redirect(url_for("vote.start"))


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(limits.CODE_FAILURES_PER_IP, methods=["POST"], deduct_when=limits.failed)
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
            start_ballot(credential)
            return redirect(url_for("vote.ballot"))
    return render_template("vote/start.html", form=form), 400 if form.errors else 200


@bp.route("/ballot", methods=["GET", "POST"])
def ballot():
    """Let the resident fill in the ballot."""
    state, credential, message = _current()
    if credential is None:
        return _restart(message)
    round_ = credential.round
    form = ActionForm()
    # A sent ballot that is right needs only the projects' ids and costs.
    projects = voting.ballot_projects(round_, details=request.method == "GET")
    rules = voting.rules_for(round_, projects)
    values = ballots.values_of(_marks(state))
    problems: list[tuple[str, str]] = []
    if request.method == "POST":
        filled = ballots.read(rules, projects, request.form)
        values, problems = filled.values, filled.problems
        if not form.validate_on_submit():
            problems = problems or [(ballots.field_id(rules), _(
                "Your session had expired. Check your choices and send them again."))]
        elif filled.ok:
            session[KEY] = {**state, "marks": filled.marks}
            return redirect(url_for("vote.review"))
    return render_template(
        "vote/ballot.html", form=form, round=round_, projects=projects, rules=rules,
        values=values, problems=problems, changing=credential.used_at is not None,
    ), 400 if problems else 200


@bp.get("/review")
def review():
    """Show the resident's choices before they submit."""
    state, credential, message = _current()
    if credential is None:
        return _restart(message)
    round_ = credential.round
    projects = voting.ballot_projects(round_)
    rules = voting.rules_for(round_, projects)
    marks = _marks(state)
    problems = ballots.check(rules, projects, marks)
    if problems:
        flash(problems[0][1], "error")
        return redirect(url_for("vote.ballot"))
    by_id = {p.id: p for p in projects}
    rows = [(by_id[pid], value) for pid, value in marks]
    return render_template("vote/review.html", round=round_, rows=rows, rules=rules,
                           total=ballots.total_cost(projects, marks),
                           points=sum(value for _pid, value in marks),
                           changing=credential.used_at is not None,
                           may_change=voting.may_change_vote(credential), form=ActionForm())


@bp.post("/submit")
def submit():
    """Cast the ballot."""
    state, credential, message = _current()
    if credential is None:
        return _restart(message)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("vote.review"))
    changing = credential.used_at is not None
    try:
        channel = "kiosk" if state.get("channel") == "kiosk" else "online"
        ballot = voting.cast_ballot(
            credential.id, _marks(state), channel=channel,
            assisted=channel == "kiosk" and request.form.get("assisted") == "yes",
            district=state.get("district"))
    except DomainError as error:
        db.session.rollback()
        if error.field == "code":
            session.pop(KEY, None)
            return _restart(error.message)
        flash(error.message, "error")
        return redirect(url_for("vote.ballot"))
    # Read what the answer needs before the commit, which expires every loaded object.
    round_ = credential.round
    equality = round_.id if round_.equality_questions else None
    receipt = {"code": ballot.receipt, "round": round_.title, "changed": changing,
               "may_change": voting.may_change_vote(credential)}
    db.session.commit()
    session[EQUALITY] = equality
    if kiosk.in_kiosk_mode():
        return kiosk.finish_kiosk_ballot(receipt["code"])
    session.pop(KEY, None)
    session["receipt"] = receipt
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
    if kiosk.in_kiosk_mode():
        return redirect(url_for("vote.kiosk_home"))
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
