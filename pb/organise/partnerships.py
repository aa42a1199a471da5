"""Organisers' pages for neighbourhood partnerships: areas, members and invitations."""

from __future__ import annotations

from dataclasses import asdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import ActionForm, attempt
from ..models import Council, Invitation, Membership, Partnership
from ..models.invitation import ROLE_HINTS, ROLE_LABELS
from ..services import access, invitations, partnerships
from . import bp
from .partnership_forms import InviteForm, PartnershipForm


def get_managed_partnership(partnership_id: int) -> Partnership:
    """The partnership, if the current user manages it; else 404 or 403."""
    partnership = db.session.get(Partnership, partnership_id)
    if partnership is None:
        abort(404)
    if not access.can_manage_partnership(current_user, partnership):
        abort(403)
    return partnership


def _status(form) -> int:
    return 400 if form.errors or form.form_errors else 200


@bp.get("/partnerships")
@login_required
def partnerships_list():
    """List the partnerships the organiser looks after."""
    managed = partnerships.managed_by(current_user)
    if not managed:
        abort(403)
    return render_template("organise/partnerships/list.html", managed=managed)


@bp.route("/partnerships/new", methods=["GET", "POST"])
@login_required
def partnership_new():
    """Set up a partnership and the areas it covers."""
    council_id = request.args.get("council", type=int)
    if council_id is not None:
        council = db.session.get(Council, council_id)
        if council is None:
            abort(404)
        if not access.can_create_partnerships(current_user, council):
            abort(403)
    else:
        councils = [m.council for m in partnerships.managed_by(current_user) if m.can_create]
        if not councils:
            abort(403)
        if len(councils) > 1:
            return redirect(url_for("organise.partnerships_list"))
        council = councils[0]
    form = PartnershipForm()
    if form.validate_on_submit():
        done, partnership = attempt(form, partnerships.create_partnership, current_user, council,
                                    form.name.data, form.areas())
        if done:
            flash(_("%(name)s has been set up. Invite its members next.", name=partnership.name))
            return redirect(url_for("organise.partnership_page", partnership_id=partnership.id))
    return render_template("organise/partnerships/form.html", form=form, council=council,
                           partnership=None), _status(form)


@bp.get("/partnerships/<int:partnership_id>")
@login_required
def partnership_page(partnership_id: int):
    """Show a partnership's areas, members and open invitations."""
    partnership = get_managed_partnership(partnership_id)
    areas = {kind: [a for a in partnership.areas if a.kind == kind]
             for kind in partnerships.AREA_FIELDS}
    other_areas = [a for a in partnership.areas if a.kind not in partnerships.AREA_FIELDS]
    return render_template(
        "organise/partnerships/show.html", partnership=partnership, areas=areas,
        area_labels={kind: partnerships.AREA_FIELD_LABELS[field]
                     for kind, field in partnerships.AREA_FIELDS.items()},
        other_areas=other_areas, members=partnerships.members(partnership),
        invitations=invitations.open_invitations(partnership), now=invitations.now(),
        role_labels=ROLE_LABELS, action_form=ActionForm(),
        can_create=access.can_create_partnerships(current_user, partnership.council))


@bp.route("/partnerships/<int:partnership_id>/edit", methods=["GET", "POST"])
@login_required
def partnership_edit(partnership_id: int):
    """Rename a partnership or change the areas it covers."""
    partnership = get_managed_partnership(partnership_id)
    form = PartnershipForm(data={"name": partnership.name,
                                 **asdict(partnerships.areas_as_text(partnership))})
    if form.validate_on_submit():
        done, _result = attempt(form, partnerships.update_partnership, current_user, partnership,
                                form.name.data, form.areas())
        if done:
            flash(_("Your changes to %(name)s are saved.", name=partnership.name))
            return redirect(url_for("organise.partnership_page", partnership_id=partnership.id))
    other_areas = [a for a in partnership.areas if a.kind not in partnerships.AREA_FIELDS]
    return render_template("organise/partnerships/form.html", form=form,
                           council=partnership.council, partnership=partnership,
                           other_areas=other_areas), _status(form)


@bp.route("/partnerships/<int:partnership_id>/invite", methods=["GET", "POST"])
@login_required
def partnership_invite(partnership_id: int):
    """Email someone a link to join the partnership in a role."""
    partnership = get_managed_partnership(partnership_id)
    form = InviteForm()
    if form.validate_on_submit():
        done, invitation = attempt(form, invitations.send_invitation, current_user, partnership,
                                   form.email.data, form.role.data)
        if done:
            flash(_("Invitation sent to %(email)s. The link works until %(when)s.",
                    email=invitation.email,
                    when=format_datetime(invitation.expires_at, invitations.WHEN_FORMAT)))
            return redirect(url_for("organise.partnership_page", partnership_id=partnership.id))
    return render_template("organise/partnerships/invite.html", form=form,
                           partnership=partnership, role_hints=ROLE_HINTS), _status(form)


@bp.post("/partnerships/<int:partnership_id>/invitations/<int:invitation_id>/revoke")
@login_required
def invitation_revoke(partnership_id: int, invitation_id: int):
    """Withdraw an invitation so its link stops working."""
    partnership = get_managed_partnership(partnership_id)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.partnership_id != partnership.id:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    email = invitation.email
    done, _result = attempt(form, invitations.revoke_invitation, current_user, invitation)
    for message in form.form_errors:
        flash(message, "error")
    if done:
        flash(_("The invitation to %(email)s is withdrawn. Its link no longer works.", email=email))
    return redirect(url_for("organise.partnership_page", partnership_id=partnership.id))


@bp.route("/partnerships/<int:partnership_id>/members/<int:membership_id>/remove",
          methods=["GET", "POST"])
@login_required
def membership_remove(partnership_id: int, membership_id: int):
    """Take someone's role in the partnership away, after asking."""
    partnership = get_managed_partnership(partnership_id)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.partnership_id != partnership.id:
        abort(404)
    form = ActionForm()
    person, role = membership.user.name, str(ROLE_LABELS.get(membership.role, membership.role))
    if request.method == "POST" and form.validate_on_submit():
        done, _result = attempt(form, partnerships.remove_membership, current_user, membership)
        if done:
            flash(_("%(name)s no longer has the role %(role)s in %(partnership)s.", name=person,
                    role=role, partnership=partnership.name))
            if not access.can_manage_partnership(current_user, partnership):
                return redirect(url_for("main.dashboard"))
            return redirect(url_for("organise.partnership_page", partnership_id=partnership.id))
    elif request.method == "POST":
        abort(400)
    return render_template("organise/partnerships/remove.html", form=form,
                           partnership=partnership, membership=membership, person=person,
                           role=role), _status(form)
