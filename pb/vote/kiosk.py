"""Kiosk mode: a device at a PB day, set up by a volunteer, one fresh ballot per resident."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from ..errors import DomainError, NotAllowed
from .. import limits
from ..extensions import db, limiter
from ..forms import ActionForm
from ..models import Round
from ..models.types import utcnow
from ..services import access, kiosk
from ..main import views as main_views
from . import bp
from .state import BALLOT, EQUALITY, start_ballot

KIOSK = "kiosk"
RECEIPT = "kiosk_receipt"
# Everything a resident leaves in the device's session; cleared between residents.
TRACES = (BALLOT, RECEIPT, EQUALITY)


def clear_traces() -> None:
    for key in TRACES:
        session.pop(key, None)


def kiosk_round() -> Round | None:
    state = session.get(KIOSK)
    if not isinstance(state, dict):
        return None
    return db.session.get(Round, state.get("round"))


def in_kiosk_mode() -> bool:
    return isinstance(session.get(KIOSK), dict)


@bp.before_app_request
def _kiosk_idle_check():
    """On a kiosk, a ballot left alone for 90 seconds is cleared before anything else."""
    state = session.get(KIOSK)
    if not isinstance(state, dict) or request.endpoint == "static":
        return None
    now = utcnow()
    idle = kiosk.is_idle(state.get("seen"), now)
    session[KIOSK] = {**state, "seen": now.isoformat()}
    if idle and any(session.get(key) for key in TRACES):
        clear_traces()
        return redirect(url_for("vote.kiosk_home"))
    return None


@bp.route("/kiosk/setup/<slug>", methods=["GET", "POST"])
@login_required
def kiosk_setup(slug: str):
    """A volunteer turns this device into a voting kiosk for one round."""
    round_ = main_views.get_round(slug)
    if not access.can_run_kiosk(current_user, round_):
        abort(403)
    form = ActionForm()
    problem = None
    if form.validate_on_submit():
        try:
            state = kiosk.start_kiosk(current_user, round_)
        except NotAllowed:
            abort(403)
        except DomainError as error:
            db.session.rollback()
            problem = error.message
        else:
            db.session.commit()
            logout_user()
            session.clear()
            session[KIOSK] = {**state, "seen": utcnow().isoformat()}
            return redirect(url_for("vote.kiosk_home"))
    return render_template("vote/kiosk_setup.html", round=round_, form=form,
                           problem=problem), 400 if problem else 200


@bp.get("/kiosk")
def kiosk_home():
    """The start screen: nothing of the previous resident is left."""
    clear_traces()
    round_ = kiosk_round()
    if round_ is None:
        return render_template("vote/kiosk_off.html"), 404
    return render_template("vote/kiosk_home.html", round=round_, form=ActionForm())


@bp.post("/kiosk/begin")
@limiter.limit(limits.KIOSK_BALLOTS_PER_IP)
def kiosk_begin():
    """The next resident starts a fresh ballot."""
    round_ = kiosk_round()
    if round_ is None:
        return redirect(url_for("vote.kiosk_home"))
    if not ActionForm().validate_on_submit():
        return redirect(url_for("vote.kiosk_home"))
    try:
        credential = kiosk.new_kiosk_voter(round_)
    except DomainError as error:
        db.session.rollback()
        return render_template("vote/kiosk_home.html", round=round_, form=ActionForm(),
                               problem=error.message), 400
    db.session.commit()
    start_ballot(credential, channel="kiosk")
    return redirect(url_for("vote.ballot"))


@bp.get("/kiosk/clear")
def kiosk_clear():
    """Where an idle kiosk goes: the ballot in progress is dropped."""
    clear_traces()
    return redirect(url_for("vote.kiosk_home"))


@bp.get("/kiosk/thanks")
def kiosk_thanks():
    """Thank the resident and show the receipt once; then back to the start screen."""
    if kiosk_round() is None:
        return redirect(url_for("vote.kiosk_home"))
    receipt = session.pop(RECEIPT, None)
    if not receipt:
        return redirect(url_for("vote.kiosk_home"))
    return render_template("vote/kiosk_thanks.html", receipt=receipt, round=kiosk_round(),
                           equality=bool(session.get(EQUALITY)))


@bp.post("/kiosk/exit")
def kiosk_exit():
    """Leave kiosk mode; a volunteer must sign in again to set it up."""
    if ActionForm().validate_on_submit():
        session.clear()
        return redirect(url_for("auth.login"))
    return redirect(url_for("vote.kiosk_home"))


def finish_kiosk_ballot(receipt: str):
    """After a kiosk ballot is cast: the thank-you screen, then a fresh start."""
    session.pop(BALLOT, None)
    session[RECEIPT] = receipt
    return redirect(url_for("vote.kiosk_thanks"))
