"""Setting up a round: the pot, the band, categories, areas, timetable, ballot and rule."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..forms import attempt
from ..models import Council, Round
from ..models.proposal import CATEGORIES
from ..models.round import (BALLOT_TYPES, DEFAULT_RETENTION_DAYS, FROZEN_FIELDS, RULES,
                            TIE_BREAKS, VOTING_METHODS)
from ..money import to_input
from ..services import rounds
from . import bp
from .forms import BALLOT_TYPE_HINTS, RoundForm, uk_input
from .views import get_organised_round


def _choices(form: RoundForm, council: Council, scopes) -> None:
    form.partnership.choices = [
        SelectChoice(p.id if p else 0, p.name if p else _("The whole council: %(name)s",
                                                           name=c.name))
        for c, p in scopes if c.id == council.id]
    form.categories.choices = [SelectChoice(k, str(v)) for k, v in CATEGORIES.items()]
    form.areas.choices = [SelectChoice(a.id, f"{a.name} ({p.name})")
                          for p in council.partnerships for a in p.areas]
    form.ballot_type.choices = [SelectChoice(k, str(v)) for k, v in BALLOT_TYPES.items()]
    form.voting_methods.choices = [SelectChoice(k, str(v)) for k, v in VOTING_METHODS.items()]
    form.rule.choices = [SelectChoice(k, str(v)) for k, v in RULES.items()]
    form.tie_break.choices = [SelectChoice(k, str(v)) for k, v in TIE_BREAKS.items()]
    for money_field in (form.pot, form.award_min, form.award_max, form.budget_limit):
        money_field.currency = form.currency.data or "GBP"


def _input(form: RoundForm, round_: Round | None = None) -> rounds.RoundInput:
    """What the organiser typed; frozen settings not in the request keep their stored values."""
    standard = [c for c in (form.categories.data or []) if c in CATEGORIES]
    extra = [line.strip() for line in (form.extra_categories.data or "").splitlines()
             if line.strip()]
    kind = form.ballot_type.data
    ballot_settings = {k: v for k, v in {
        "min_choices": form.min_choices.data,
        # For a ranking ballot the most choices is the number of places to fill.
        "max_choices": (form.rank_places.data if kind == "ranking" and
                        form.rank_places.data is not None else form.max_choices.data),
        "budget_limit": form.budget_limit.minor if kind == "knapsack" else None,
        "min_points": form.min_points.data if kind == "scoring" else None,
        "max_points": form.max_points.data if kind == "scoring" else None,
        "max_total_points": form.max_total_points.data if kind == "points" else None,
    }.items() if v is not None}
    rule_settings: dict = {}
    if form.rule.data == "greedy-threshold" and form.threshold_percent.data:
        rule_settings["threshold_percent"] = form.threshold_percent.data
    if form.rule.data == "equal-shares" and form.use_leftover.data:
        rule_settings["completion"] = "add1"
    data = rounds.RoundInput(
        title=form.title.data or "", description=form.description.data or "",
        partnership_id=form.partnership.data or None, pot=form.pot.minor,
        currency=form.currency.data or "GBP", award_min=form.award_min.minor,
        award_max=form.award_max.minor, categories=standard + extra,
        area_ids=list(form.areas.data or []),
        dates={name: getattr(form, name).when for name in rounds.DATE_FIELDS},
        ballot_type=form.ballot_type.data or "", ballot_settings=ballot_settings,
        rule=form.rule.data or "", rule_settings=rule_settings,
        tie_break=form.tie_break.data or "", allow_vote_change=bool(form.allow_vote_change.data),
        voting_methods=[m for m in (form.voting_methods.data or []) if m],
        eligible_districts=list(form.eligible_districts.codes), min_age=form.min_age.data,
        equality_questions=bool(form.equality_questions.data),
        personal_data_retention_days=form.personal_data_retention_days.data)
    if "personal_data_retention_days" not in request.form:
        # A form from before the setting existed: keep what is stored.
        data.personal_data_retention_days = (round_.personal_data_retention_days if round_
                                             else DEFAULT_RETENTION_DAYS)
    if round_ is not None and round_.settings_frozen:
        # The page shows frozen settings as text; keep what is stored unless a request sends a
        # value for one of them, which update_round then refuses and records.
        sent = set(request.form)
        inputs = {"pot": "pot", "currency": "currency", "ballot_type": "ballot_type",
                  "ballot_settings": ("min_choices", "max_choices", "budget_limit",
                                      "rank_places", "min_points", "max_points",
                                      "max_total_points"),
                  "rule": "rule", "rule_settings": ("threshold_percent", "use_leftover"),
                  "tie_break": "tie_break", "allow_vote_change": "allow_vote_change",
                  "voting_methods": "voting_methods", "eligible_districts": "eligible_districts",
                  "min_age": "min_age"}
        for name in FROZEN_FIELDS:
            names = inputs[name] if isinstance(inputs[name], tuple) else (inputs[name],)
            if not sent & set(names):
                setattr(data, name, getattr(round_, name))
        if sent & set(inputs["ballot_settings"]):
            # Whatever ballot setting was sent counts as an attempt, whatever the ballot type.
            data.ballot_settings = {**(round_.ballot_settings or {}), **_sent_ballot_settings(form)}
    if round_ is not None:
        data.partnership_id = round_.partnership_id  # who runs a round is set when it is made
    return data


def _sent_ballot_settings(form: RoundForm) -> dict:
    values = {"min_choices": form.min_choices.data,
              "max_choices": form.rank_places.data if form.rank_places.data is not None
              else form.max_choices.data,
              "budget_limit": form.budget_limit.minor, "min_points": form.min_points.data,
              "max_points": form.max_points.data,
              "max_total_points": form.max_total_points.data}
    return {k: v for k, v in values.items() if v is not None}


def _form_for(round_: Round) -> RoundForm:
    settings, rule_settings = round_.ballot_settings or {}, round_.rule_settings or {}
    return RoundForm(data={
        "title": round_.title, "description": round_.description,
        "partnership": round_.partnership_id or 0, "pot": to_input(round_.pot, round_.currency),
        "currency": round_.currency, "award_min": to_input(round_.award_min, round_.currency),
        "award_max": to_input(round_.award_max, round_.currency),
        "categories": [c for c in round_.categories if c in CATEGORIES],
        "extra_categories": "\n".join(c for c in round_.categories if c not in CATEGORIES),
        "areas": [a.id for a in round_.areas],
        **{name: uk_input(getattr(round_, name)) for name in rounds.DATE_FIELDS},
        "ballot_type": round_.ballot_type, "min_choices": settings.get("min_choices"),
        "max_choices": settings.get("max_choices") if round_.ballot_type != "ranking" else None,
        "rank_places": settings.get("max_choices") if round_.ballot_type == "ranking" else None,
        "min_points": settings.get("min_points"), "max_points": settings.get("max_points"),
        "max_total_points": settings.get("max_total_points"),
        "voting_methods": list(round_.voting_methods or []),
        "eligible_districts": "\n".join(round_.eligible_districts or []),
        "min_age": round_.min_age, "equality_questions": round_.equality_questions,
        "personal_data_retention_days": round_.personal_data_retention_days,
        "budget_limit": to_input(settings.get("budget_limit"), round_.currency),
        "rule": round_.rule, "threshold_percent": rule_settings.get("threshold_percent"),
        "use_leftover": rule_settings.get("completion") == "add1",
        "tie_break": round_.tie_break, "allow_vote_change": round_.allow_vote_change})


@bp.route("/rounds/new", methods=["GET", "POST"])
@login_required
def new_round():
    """Set up a new round."""
    scopes = rounds.organising_scopes(current_user)
    if not scopes:
        abort(403)
    councils = {c.id: c for c, _p in scopes}
    chosen = request.args.get("council", type=int)
    if chosen is not None and chosen not in councils:
        abort(403)  # a council the organiser has no role in: never silently another one
    council = councils.get(chosen) or next(iter(councils.values()))
    form = RoundForm(data={"ballot_type": "approval", "rule": "greedy", "tie_break": "chain",
                           "currency": "GBP", "voting_methods": ["codes"],
                           "personal_data_retention_days": DEFAULT_RETENTION_DAYS}
                     if request.method == "GET" else None)
    _choices(form, council, scopes)
    if form.validate_on_submit():
        done, round_ = attempt(form, rounds.create_round, current_user, council, _input(form))
        if done:
            flash(_("“%(title)s” is set up. Start taking proposals when you are ready.",
                    title=round_.title))
            return redirect(url_for("organise.round_dashboard", slug=round_.slug))
    return render_template("organise/round_form.html", form=form, round=None,
                           council=council, ballot_hints=BALLOT_TYPE_HINTS), \
        400 if form.errors or form.form_errors else 200


@bp.route("/<slug>/settings", methods=["GET", "POST"])
@login_required
def round_settings(slug: str):
    """Change a round's settings; after voting opens only the words and dates can change."""
    round_ = get_organised_round(slug)
    form = RoundForm() if request.method == "POST" else _form_for(round_)
    _choices(form, round_.council, rounds.organising_scopes(current_user) or
             [(round_.council, round_.partnership)])
    if round_.settings_frozen and request.method == "POST":
        for name in ("pot", "award_min", "award_max", "budget_limit"):
            getattr(form, name).currency = round_.currency
        if "pot" not in request.form:
            form.pot.data = to_input(round_.pot, round_.currency)
        if "currency" not in request.form:
            form.currency.data = round_.currency
    if form.validate_on_submit():
        done, _saved = attempt(form, rounds.update_round, current_user, round_,
                               _input(form, round_))
        if done:
            flash(_("The round’s settings are saved."))
            return redirect(url_for("organise.round_dashboard", slug=slug))
    return render_template("organise/round_form.html", form=form, round=round_,
                           council=round_.council, ballot_hints=BALLOT_TYPE_HINTS), \
        400 if form.errors or form.form_errors else 200
