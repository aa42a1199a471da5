"""Self sign-up, so residents and community groups can propose projects without an invitation."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_user

from .. import limits
from ..extensions import limiter
from ..forms import attempt
from ..services import accounts
from . import bp
from .forms import RegisterForm
from .views import _safe_next


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(limits.REGISTER_PER_IP, methods=["POST"])
def register():
    """Create an account to propose projects, and sign in."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = RegisterForm()
    if request.method == "GET":
        # Filled in from an invitation link that no longer works, so nothing typed is lost.
        form.name.data = (request.args.get("name") or "")[:200]
        form.email.data = (request.args.get("email") or "")[:254]
    if form.validate_on_submit():
        done, user = attempt(form, accounts.register_user, form.email.data, form.name.data,
                             form.password.data)
        if done:
            login_user(user)
            flash(_("Your account is ready. You are signed in."))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200
