from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import limits
from ..extensions import limiter
from ..forms import ActionForm, attempt
from ..services import accounts
from . import bp
from .forms import LoginForm


def _safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else the dashboard."""
    parts = urlsplit(target or "")
    # Browsers read "/\\host" like "//host" and drop tabs and newlines, so neither gets through.
    if (target and not parts.scheme and not parts.netloc and target.startswith("/")
            and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 32 for c in target)):
        return target
    return url_for("main.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limits.SIGN_IN_PER_IP, methods=["POST"], deduct_when=limits.failed)
@limiter.limit(limits.SIGN_IN_PER_EMAIL, methods=["POST"], key_func=limits.email_key,
               deduct_when=limits.failed)
def login():
    """Sign a member of staff in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        done, user = attempt(form, accounts.authenticate, form.email.data, form.password.data)
        if done:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.post("/logout")
@login_required
def logout():
    """Sign out."""
    if ActionForm().validate_on_submit():
        logout_user()
        flash(_("You have signed out."))
    return redirect(url_for("main.index"))
