"""Organisers key paper ballots in batches, twice, and accept them once both passes agree."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import db
from ..forms import ActionForm, attempt, error_list, show_error
from ..models import PaperBatch, PaperEntry
from ..models.paper import PASSES
from ..services import ballots, voting
from ..services import paper as papers
from . import bp
from .paper_forms import BatchForm, CountForm, KeyForm, whole_number
from .views import get_organised_round


@bp.app_template_global()
def paper_batches_waiting(round_) -> int:
    """For the round page: batches still being keyed do not count until accepted."""
    return papers.waiting_batches(round_)


def _batch(slug: str, batch_id: int):
    round_ = get_organised_round(slug)
    batch = db.session.get(PaperBatch, batch_id)
    if batch is None or batch.round_id != round_.id:
        abort(404)
    return round_, batch


def _status(form) -> int:
    return 400 if form.errors or form.form_errors else 200


@bp.get("/<slug>/paper")
@login_required
def paper_batches(slug: str):
    """The round's batches of paper ballots, with how far each has got."""
    round_ = get_organised_round(slug)
    return render_template("organise/paper/batches.html", round=round_,
                           batches=papers.batches(round_))


@bp.route("/<slug>/paper/new", methods=["GET", "POST"])
@login_required
def new_paper_batch(slug: str):
    """Start a batch: its label and the number of papers on its envelope."""
    round_ = get_organised_round(slug)
    form = BatchForm()
    if form.validate_on_submit():
        done, batch = attempt(form, papers.create_batch, current_user, round_, form.label.data,
                              whole_number(form.declared_count.data))
        if done:
            flash(_("Batch “%(label)s” is ready to key.", label=batch.label))
            return redirect(url_for("organise.paper_batch", slug=slug, batch_id=batch.id))
    elif request.method == "POST":
        form.form_errors.append(_("Your session had expired. Check the form and send it again."))
    return render_template("organise/paper/new.html", round=round_, form=form), _status(form)


def _batch_page(round_, batch, count_form=None, form=None, status=200):
    return render_template(
        "organise/paper/batch.html", round=round_, batch=batch,
        passes=[(n, batch.entries_of(n), papers.may_key(current_user, batch, n)) for n in PASSES],
        mismatches=papers.compare(batch), problems=papers.reconcile(batch),
        count_form=count_form or CountForm(formdata=None,
                                           data={"declared_count": batch.declared_count}),
        form=form or ActionForm(), summary=error_list(form or count_form or ActionForm())
        if status != 200 else []), status


@bp.get("/<slug>/paper/<int:batch_id>")
@login_required
def paper_batch(slug: str, batch_id: int):
    """One batch: both passes, the differences, and whether it can be accepted."""
    round_, batch = _batch(slug, batch_id)
    return _batch_page(round_, batch)


@bp.post("/<slug>/paper/<int:batch_id>/count")
@login_required
def paper_count(slug: str, batch_id: int):
    """Correct the number of papers after counting the envelope again."""
    round_, batch = _batch(slug, batch_id)
    form = CountForm()
    if not form.validate_on_submit():
        abort(400)
    done, _result = attempt(form, papers.change_count, current_user, batch,
                            whole_number(form.declared_count.data))
    if done:
        flash(_("The batch now has %(n)s papers.", n=batch.declared_count))
        return redirect(url_for("organise.paper_batch", slug=slug, batch_id=batch.id))
    return _batch_page(round_, db.session.get(PaperBatch, batch_id), count_form=form,
                       status=400)


@bp.route("/<slug>/paper/<int:batch_id>/pass/<int:pass_number>", methods=["GET", "POST"])
@login_required
def key_paper(slug: str, batch_id: int, pass_number: int):
    """Key one paper of a batch in one pass, then go on to the next."""
    round_, batch = _batch(slug, batch_id)
    if pass_number not in PASSES:
        abort(404)
    projects = voting.ballot_projects(round_)
    rules = voting.rules_for(round_, projects)
    form = KeyForm()
    values: dict[int, str] = {}
    problems: list[tuple[str, str]] = []
    if request.method == "GET":
        number = papers.next_paper_number(batch, pass_number)
        form.paper_number.data = str(number) if number else ""
    else:
        values = ballots.read(rules, projects, request.form).values
        if not form.validate_on_submit():
            form.form_errors.append(_("Your session had expired. Check the paper and send it "
                                      "again."))
        else:
            try:
                entry = papers.key_paper(current_user, batch, pass_number,
                                         whole_number(form.paper_number.data), request.form,
                                         bool(form.spoilt.data), form.spoilt_reason.data or "")
            except DomainError as error:
                db.session.rollback()
                problems = _show_key_errors(form, error)
            else:
                db.session.commit()
                return _after_keying(batch, pass_number, entry)
        batch = db.session.get(PaperBatch, batch_id)
    keyed = sorted(batch.entries_of(pass_number))
    return render_template(
        "organise/paper/key.html", round=round_, batch=batch, pass_number=pass_number,
        form=form, rules=rules, projects=projects, values=values, problems=problems,
        prefix="", keyed=keyed, may_key=papers.may_key(current_user, batch, pass_number),
        instruction=rules.instruction(round_.pot),
        summary=_in_page_order(error_list(form), problems)), \
        400 if request.method == "POST" else 200


def _in_page_order(form_errors: list[tuple[str, str]], problems: list[tuple[str, str]]):
    """The error summary in the order of the page: paper number, marks, then spoilt."""
    top = [e for e in form_errors if e[0] in ("", "paper_number")]
    return top + problems + [e for e in form_errors if e not in top]


def _show_key_errors(form: KeyForm, error: DomainError) -> list[tuple[str, str]]:
    """Errors about the form's own fields go beside them; the ballot's go to the ballot."""
    ballot_problems = []
    for problem in getattr(error, "problems", None) or [error]:
        if problem.field and problem.field not in form._fields:
            ballot_problems.append((problem.field, problem.message))
        else:
            show_error(form, problem)
    return ballot_problems


def _after_keying(batch: PaperBatch, pass_number: int, entry: PaperEntry):
    flash(_("Paper %(n)s is keyed in pass %(p)s.", n=entry.paper_number, p=pass_number))
    if papers.next_paper_number(batch, pass_number) is None:
        flash(_("Every paper in the batch is keyed in pass %(p)s.", p=pass_number))
        return redirect(url_for("organise.paper_batch", slug=batch.round.slug,
                                batch_id=batch.id))
    return redirect(url_for("organise.key_paper", slug=batch.round.slug, batch_id=batch.id,
                            pass_number=pass_number))


def _describe(entry: PaperEntry | None, titles: dict[int, str], ballot_type: str) -> list[str]:
    """A keyed paper in words, one line per mark, for the side-by-side comparison."""
    if entry is None:
        return [_("Not keyed")]
    if entry.spoilt:
        return [_("Spoilt: %(reason)s", reason=entry.spoilt_reason)]
    lines = []
    for pid, value in entry.marks:
        title = titles.get(pid, str(pid))
        if ballot_type == "ranking":
            lines.append(_("%(rank)s. %(title)s", rank=value, title=title))
        elif ballot_type in ("scoring", "points"):
            lines.append(_("%(title)s: %(value)s", title=title, value=value))
        else:
            lines.append(title)
    return lines or [_("Nothing marked")]


@bp.get("/<slug>/paper/<int:batch_id>/compare")
@login_required
def compare_passes(slug: str, batch_id: int):
    """The papers on which the two passes differ, side by side."""
    round_, batch = _batch(slug, batch_id)
    titles = {p.id: p.title for p in voting.ballot_projects(round_)}
    rows = [(m, _describe(m.first, titles, round_.ballot_type),
             _describe(m.second, titles, round_.ballot_type)) for m in papers.compare(batch)]
    return render_template("organise/paper/compare.html", round=round_, batch=batch, rows=rows,
                           form=ActionForm())


@bp.post("/<slug>/paper/<int:batch_id>/resolve")
@login_required
def resolve_paper(slug: str, batch_id: int):
    """Settle one difference by choosing pass 1's or pass 2's version of the paper."""
    round_, batch = _batch(slug, batch_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    number = request.form.get("paper_number", type=int)
    chosen = request.form.get("chosen", type=int)
    done, _result = attempt(form, papers.resolve, current_user, batch, number, chosen)
    for message in form.form_errors:
        flash(message, "error")
    if done:
        flash(_("Paper %(n)s now reads as in pass %(p)s.", n=number, p=chosen))
    return redirect(url_for("organise.compare_passes", slug=slug, batch_id=batch_id))


@bp.route("/<slug>/paper/<int:batch_id>/accept", methods=["GET", "POST"])
@login_required
def accept_batch(slug: str, batch_id: int):
    """Ask, then make ballots of the batch's papers: all of them or none."""
    round_, batch = _batch(slug, batch_id)
    form = ActionForm()
    if request.method == "GET":
        return render_template("organise/paper/confirm.html", round=round_, batch=batch,
                               form=form, action="accept",
                               problems=papers.reconcile(batch))
    if not form.validate_on_submit():
        abort(400)
    done, cast = attempt(form, papers.accept, current_user, batch)
    if done:
        flash(ngettext("Batch “%(label)s” is accepted: %(num)s ballot is counted.",
                       "Batch “%(label)s” is accepted: %(num)s ballots are counted.", cast,
                       label=batch.label))
        return redirect(url_for("organise.paper_batches", slug=slug))
    return _batch_page(round_, db.session.get(PaperBatch, batch_id), form=form, status=400)


@bp.route("/<slug>/paper/<int:batch_id>/abandon", methods=["GET", "POST"])
@login_required
def abandon_batch(slug: str, batch_id: int):
    """Ask, then give up on a batch: none of its papers will be counted."""
    round_, batch = _batch(slug, batch_id)
    form = ActionForm()
    if request.method == "GET":
        return render_template("organise/paper/confirm.html", round=round_, batch=batch,
                               form=form, action="abandon", problems=[])
    if not form.validate_on_submit():
        abort(400)
    done, _result = attempt(form, papers.abandon, current_user, batch)
    if done:
        flash(_("Batch “%(label)s” is abandoned. None of its papers are counted.",
                label=batch.label))
        return redirect(url_for("organise.paper_batches", slug=slug))
    return _batch_page(round_, db.session.get(PaperBatch, batch_id), form=form, status=400)
