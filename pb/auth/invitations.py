"""Accepting an invitation to a partnership from the link in its email."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from .. import limits
from ..extensions import limiter
from ..forms import ActionForm, attempt
from ..services import accounts, invitations
from . import bp
from .forms import InvitedNewAccountForm, InvitedSignInForm

PROBLEMS = {  # why a link cannot be used: page title and status
    invitations.TAMPERED: (_l("This link does not work"), 400),
    invitations.EXPIRED: (_l("This invitation has expired"), 410),
    invitations.USED: (_l("This invitation has already been used"), 410),
    invitations.REVOKED: (_l("This invitation has been withdrawn"), 410),
    invitations.REPLACED: (_l("There is a newer invitation"), 410),
}


def _problem(check: invitations.LinkCheck):
    """Say why the link cannot be used, offering the name typed (if any) for a new account."""
    title, status = PROBLEMS[check.problem]
    typed_name = " ".join(request.form.get("name", "").split())[:200]
    return render_template("auth/invitation_problem.html", problem=check.problem, title=title,
                           invitation=check.invitation, typed_name=typed_name), status


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(limits.INVITATION_PER_IP, methods=["POST"])
def accept_invitation(token: str):
    """Join a partnership from an emailed invitation, creating an account if need be."""
    check = invitations.check_link(token)
    if check.problem:
        return _problem(check)
    invitation = check.invitation
    account = accounts.find_by_email(invitation.email)
    signed_in_as_invitee = (current_user.is_authenticated and account is not None
                            and current_user.id == account.id)
    if account is None:
        mode, form = "new", InvitedNewAccountForm()
    elif signed_in_as_invitee:
        mode, form = "confirm", ActionForm()
    else:
        mode, form = "sign_in", InvitedSignInForm()
    if form.validate_on_submit():
        if mode == "new":
            done, user = attempt(form, invitations.accept_with_new_account, invitation,
                                 form.name.data, form.password.data)
        elif mode == "confirm":
            done, user = attempt(form, invitations.accept, invitation,
                                 current_user._get_current_object())
        else:
            done, user = attempt(form, invitations.accept_with_password, invitation,
                                 form.password.data)
        if done:
            if not signed_in_as_invitee:
                login_user(user)
            flash(_("You have joined %(partnership)s. Your role: %(role)s.",
                    role=invitation.role_label, partnership=invitation.partnership.name))
            return redirect(url_for("main.dashboard"))
        again = invitations.check_link(token)
        if again.problem:  # used, withdrawn or expired while the form was open
            return _problem(again)
    return render_template(
        "auth/invitation.html", form=form, mode=mode, invitation=invitation,
        expires=format_datetime(invitation.expires_at, invitations.WHEN_FORMAT),
    ), 400 if form.errors or form.form_errors else 200
