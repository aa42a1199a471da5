"""Voting codes: make them in batches, with cards to print; download or delete the cards."""

from __future__ import annotations

import re

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..forms import ActionForm, attempt
from ..services import codes
from . import bp
from .forms import CodesForm
from .views import get_organised_round


def _batch(round_, batch_id: int):
    batch = codes.get_batch(round_, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.route("/<slug>/codes", methods=["GET", "POST"], endpoint="codes")
@login_required
def codes_page(slug: str):
    """List the round's batches of codes; make a new batch and show its codes once."""
    round_ = get_organised_round(slug)
    form = CodesForm()
    made, issued = None, []
    if form.validate_on_submit():
        done, result = attempt(form, codes.make_batch, current_user, round_, form.count.data,
                               form.label.data or "", request.url_root)
        if done:
            made, issued = result
            form = CodesForm(formdata=None)  # ready for another batch
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "organise/codes.html", form=form, round=round_, made=made, issued=issued,
        batches=codes.batches(round_), can_make=round_.before_close), status


@bp.get("/<slug>/codes/<int:batch_id>/cards.pdf")
@login_required
def codes_cards(slug: str, batch_id: int):
    """Download a batch's cards again, while the file is kept."""
    round_ = get_organised_round(slug)
    batch = _batch(round_, batch_id)
    form = ActionForm(meta={"csrf": False})
    done, pdf = attempt(form, codes.card_file, current_user, batch)
    if not done:
        for message in form.form_errors:
            flash(message, "error")
        return redirect(url_for("organise.codes", slug=slug))
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", round_.slug) or "round"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}-voting-cards-{batch.id}.pdf"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<slug>/codes/<int:batch_id>/delete-cards", methods=["GET", "POST"])
@login_required
def delete_cards(slug: str, batch_id: int):
    """Delete a batch's card file, after asking."""
    round_ = get_organised_round(slug)
    batch = _batch(round_, batch_id)
    form = ActionForm()
    if request.method == "GET":
        if not batch.has_cards:
            return redirect(url_for("organise.codes", slug=slug))
        return render_template("organise/delete_cards.html", round=round_, batch=batch,
                               form=form)
    if not form.validate_on_submit():
        abort(400)
    done, _result = attempt(form, codes.delete_card_file, current_user, batch)
    for message in form.form_errors:
        flash(message, "error")
    if done:
        flash(_("The card file is deleted. Codes on cards you already printed still work."))
    return redirect(url_for("organise.codes", slug=slug))
