"""A round's voting start page, and voting without a code: by email link or by postcode.

Also the optional equality questions after a ballot is cast. The ballot itself is filled in
on the pages of pb.vote.views, which these pages hand over to through session["ballot"].
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from .. import limits
from ..extensions import db, limiter
from ..forms import ActionForm, attempt, show_error
from ..models import Round
from ..models.equality import QUESTIONS
from ..services import eligibility
from ..main import views as main_views
from . import bp
from .state import EQUALITY, start_ballot
from .eligibility_forms import EmailLinkForm, EqualityForm, PostcodeForm
from .forms import CodeForm

SENT = "vote_link_sent"

LINK_PROBLEMS = {  # why a voting link cannot be used: page title and status
    eligibility.TAMPERED: (_l("This link does not work"), 400),
    eligibility.EXPIRED: (_l("This link has expired"), 410),
    eligibility.USED: (_l("This link has already been used"), 410),
    eligibility.REPLACED: (_l("There is a newer link"), 410),
    eligibility.VOTED: (_l("You have already voted"), 410),
}


def _round(slug: str, method: str | None = None) -> Round:
    """A round residents may see, offering `method`, or 404."""
    round_ = main_views.get_round(slug)
    if round_.status == "draft":
        abort(404)
    if method is not None and not round_.uses(method):
        abort(404)
    return round_


def _when(value) -> str | None:
    return format_datetime(value, "EEEE d MMMM yyyy, HH:mm") if value else None


@bp.get("/<slug>")
def round_start(slug: str):
    """The ways this round offers to vote, or when voting opens or closed."""
    round_ = _round(slug)
    return render_template("vote/round.html", round=round_, form=CodeForm(),
                           opens=_when(round_.voting_opens_at),
                           closes=_when(round_.voting_closes_at))


def _closed(round_: Round):
    return redirect(url_for("vote.round_start", slug=round_.slug))


def _start_ballot(credential, district: str | None):
    start_ballot(credential, district=district)
    return redirect(url_for("vote.ballot"))


@bp.route("/<slug>/email", methods=["GET", "POST"])
@limiter.limit(limits.EMAIL_LINK_PER_IP, methods=["POST"])
@limiter.limit(limits.EMAIL_LINK_PER_ADDRESS, methods=["POST"], key_func=limits.email_key)
def email(slug: str):
    """Ask for an email address and postcode, then email a link to vote."""
    round_ = _round(slug, "email")
    if not round_.is_voting_open:
        return _closed(round_)
    form = EmailLinkForm().for_round(round_)
    if form.validate_on_submit():
        done, _result = attempt(form, eligibility.request_link, round_, form.email.data,
                                form.postcode.data, form.old_enough.data, form.in_area.data)
        if done:
            session[SENT] = eligibility.normalise_email(form.email.data)
            return redirect(url_for("vote.email_sent", slug=slug))
    return render_template("vote/email.html", round=round_, form=form), \
        400 if form.errors or form.form_errors else 200


@bp.get("/<slug>/email/sent")
def email_sent(slug: str):
    """Check your email: the same words whether or not this address has voted."""
    round_ = _round(slug, "email")
    return render_template("vote/email_sent.html", round=round_, email=session.get(SENT),
                           hours=max(1, eligibility.max_age() // 3600))


def _link_problem(round_: Round, check: eligibility.LinkCheck):
    title, status = LINK_PROBLEMS[check.problem]
    return render_template("vote/link_problem.html", round=round_, problem=check.problem,
                           title=title), status


@bp.route("/<slug>/link/<token>", methods=["GET", "POST"])
def email_link(slug: str, token: str):
    """The link from the email. Opening it only shows a button, because mail programs open
    links to check them; pressing the button uses up the link and starts the ballot."""
    round_ = _round(slug, "email")
    if not round_.is_voting_open:
        return _closed(round_)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        check = eligibility.claim_link(round_, token)
        if check.problem:
            db.session.rollback()
            return _link_problem(round_, check)
        db.session.commit()
        return _start_ballot(check.credential, check.district)
    check = eligibility.check_link(round_, token)
    if check.problem:
        return _link_problem(round_, check)
    return render_template("vote/email_link.html", round=round_, form=form)


@bp.route("/<slug>/postcode", methods=["GET", "POST"])
@limiter.limit(limits.POSTCODE_PER_IP, methods=["POST"])
def postcode(slug: str):
    """An open online vote: the resident gives a postcode and confirms they may vote."""
    round_ = _round(slug, "postcode")
    if not round_.is_voting_open:
        return _closed(round_)
    form = PostcodeForm().for_round(round_)
    if form.validate_on_submit():
        done, result = attempt(form, eligibility.postcode_credential, round_, form.postcode.data,
                               form.old_enough.data, form.in_area.data)
        if done:
            credential, district = result
            return _start_ballot(credential, district)
    return render_template("vote/postcode.html", round=round_, form=form), \
        400 if form.errors or form.form_errors else 200


@bp.route("/equality", methods=["GET", "POST"])
def equality():
    """The optional equality questions, once for each ballot cast; nothing links the answers
    to the ballot."""
    round_id = session.get(EQUALITY)
    round_ = db.session.get(Round, round_id) if isinstance(round_id, int) else None
    if round_ is None or not round_.equality_questions:
        session.pop(EQUALITY, None)
        return render_template("vote/equality_done.html", answered=False)
    form = EqualityForm()
    if form.validate_on_submit():
        answers = {key: getattr(form, key).data for key in QUESTIONS}
        try:
            eligibility.record_equality(round_, answers)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            session.pop(EQUALITY, None)  # one set of answers for each ballot
            db.session.commit()
            return render_template("vote/equality_done.html", answered=True)
    return render_template("vote/equality.html", round=round_, form=form), \
        400 if form.errors or form.form_errors else 200
