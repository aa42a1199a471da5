"""What if: organisers compare every rule on a closed round's ballots, or on any pabulib file."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..errors import DomainError
from ..forms import show_error
from ..models.round import BALLOT_TYPES, RULES
from ..services import whatif
from ..tally import TallyError
from ..tally.explain import default_money
from . import bp
from .views import get_organised_round

RULE_NAMES = {
    "greedy": _l("Most votes first"),
    "greedy-no-skip": _l("Most votes first, no skipping"),
    "greedy-threshold": _l("Most votes first, with a minimum"),
    "equal-shares": _l("Equal shares"),
    "phragmen": _l("Phragmén"),
}
_PERCENT = re.compile(r"^(\d{1,3})(?:[.,](\d{1,2}))?$")


class PercentField(StringField):
    """A percentage typed by a person; `.fraction` holds it exactly, None when left empty."""

    fraction: Fraction | None = None

    def pre_validate(self, form):
        self.fraction = None
        text = (self.data or "").strip().rstrip("%").strip()
        if not text:
            return
        match = _PERCENT.match(text)
        value = Fraction(Decimal(f"{match.group(1)}.{match.group(2) or 0}")) if match else None
        if value is None or value > 100:
            raise ValidationError(str(_l("Enter a percentage from 0 to 100, like 10 or 2.5.")))
        self.fraction = value


class OptionsForm(FlaskForm):
    """The settings of the two rules that have them."""

    threshold = PercentField(
        _l("Minimum share of voters, in per cent (for “most votes first, with a minimum”)"),
        render_kw={"inputmode": "decimal", "spellcheck": "false"})
    completion = RadioField(
        _l("Equal shares: spend the money left over?"), default="add1",
        choices=[SelectChoice("add1", _l("Yes: raise every voter’s share until the pot is spent "
                                         "(the usual choice)")),
                 SelectChoice("none", _l("No: stop when no project can be paid for from equal "
                                         "shares"))],
        validate_choice=False)

    only_differing = BooleanField(_l("Show only the projects the rules treat differently"))

    def validate_completion(self, field):
        if field.data not in ("add1", "none"):
            raise ValidationError(str(_l("Choose yes or no.")))


class UploadForm(OptionsForm):
    """A pabulib file and the settings to compare the rules with."""

    file = FileField(
        _l("A pabulib file (.pb)"),
        description=_l("The format of pabulib.org: sections META, PROJECTS and VOTES. Up to "
                       "%(size)s MB. Nothing in it is kept.",
                       size=whatif.MAX_UPLOAD_BYTES // (1024 * 1024)),
        validators=[
            FileRequired(message=_l("Choose a pabulib file to compare the rules on.")),
            FileAllowed(["pb"], message=_l("Choose a pabulib file: its name ends in .pb.")),
            FileSize(max_size=whatif.MAX_UPLOAD_BYTES, message=_l(
                "The file must be %(size)s MB or smaller.",
                size=whatif.MAX_UPLOAD_BYTES // (1024 * 1024))),
        ])


def _percent_text(value: Fraction | None) -> str:
    if value is None:
        return ""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{Decimal(value.numerator) / Decimal(value.denominator):f}".rstrip("0")


def _form_defaults(defaults: whatif.Options) -> dict:
    return {"threshold": _percent_text(defaults.threshold_percent),
            "completion": "add1" if defaults.completion else "none"}


def _options(form: OptionsForm, defaults: whatif.Options) -> whatif.Options:
    """The options typed, falling back on the count's own threshold when the box is empty."""
    completion = (form.completion.data or ("add1" if defaults.completion else "none")) == "add1"
    if form.threshold.fraction is not None:
        return whatif.Options(threshold_percent=form.threshold.fraction, completion=completion)
    return whatif.Options(threshold_percent=defaults.threshold_percent,
                          threshold_votes=defaults.threshold_votes, completion=completion)


def _page(template: str, status: int = 200, **context):
    return render_template(template, rule_names=RULE_NAMES, rule_descriptions=RULES,
                           plain_money=default_money, ballot_labels=BALLOT_TYPES,
                           percent_text=_percent_text,
                           **context), status


@bp.get("/<slug>/what-if")
@login_required
def what_if(slug: str):
    """Compare every rule on a closed round's own ballots, with its tie-break and seed."""
    round_ = get_organised_round(slug)
    if not whatif.round_ready(current_user, round_):
        return _page("organise/whatif_round.html", round=round_, form=None, comparison=None)
    rule, settings, _tie_break = whatif.round_basis(round_)
    defaults = whatif.default_options(rule, settings)
    form = OptionsForm(formdata=request.args or None, data=_form_defaults(defaults),
                       meta={"csrf": False})
    if request.args and not form.validate():
        return _page("organise/whatif_round.html", 400, round=round_, form=form, comparison=None)
    problem, comparison = None, None
    try:
        comparison = whatif.compare_round(round_, _options(form, defaults))
    except TallyError as error:
        problem = error.message
    return _page("organise/whatif_round.html", round=round_, form=form, comparison=comparison,
                 problem=problem, currency=round_.currency)


@bp.route("/what-if", methods=["GET", "POST"])
@login_required
def what_if_upload():
    """Compare every rule on the ballots of an uploaded pabulib file, keeping nothing."""
    if not whatif.may_dry_run(current_user):
        abort(403)
    form = UploadForm()
    upload = comparison = None
    if form.validate_on_submit():
        try:
            upload = whatif.read_upload(form.file.data.read(), form.file.data.filename or "")
        except DomainError as error:
            show_error(form, error)
        else:
            defaults = whatif.default_options(upload.info["rule"], upload.info.get("settings"))
            comparison = whatif.compare_upload(upload, _options(form, defaults))
    status = 400 if form.errors or form.form_errors else 200
    return _page("organise/whatif.html", status, form=form, upload=upload, comparison=comparison,
                 currency=upload.currency if upload else None)
