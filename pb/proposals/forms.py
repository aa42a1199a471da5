from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FieldList, Form, FormField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import MoneyField
from ..models.proposal import SUMMARY_MAX

LONG = Length(max=10000, message=_l("Keep this to 10,000 characters or fewer."))


class CostLineForm(Form):
    item = StringField(_l("What it pays for"), validators=[
        Optional(), Length(max=200, message=_l("Keep each item to 200 characters or fewer."))])
    amount = MoneyField(_l("Amount"), optional=True)


class ProposalForm(FlaskForm):
    """A proposal: eight things are needed to send it; the rest is optional."""

    proposer_type = RadioField(_l("Who is proposing the project?"), validate_choice=False)
    partnership = SelectField(_l("Which partnership?"), coerce=int, validate_choice=False)
    proposer_name = StringField(
        _l("Name of your group (optional)"),
        description=_l("Shown on the proposal. If you leave it empty, your own name is shown."),
        validators=[Optional(), Length(max=200, message=_l("Keep the name to 200 characters or "
                                                           "fewer."))])
    title = StringField(_l("Project title"), validators=[
        Length(max=200, message=_l("Keep the title to 200 characters or fewer."))])
    summary = TextAreaField(
        _l("Summary in plain words"),
        description=_l("What it is and who it helps, in %(n)s characters or fewer.", n=SUMMARY_MAX),
        validators=[Length(max=SUMMARY_MAX, message=_l(
            "Keep the summary to %(n)s characters or fewer.", n=SUMMARY_MAX))],
        # No maxlength in the page: a browser would cut pasted text silently; the server says so.
        render_kw={"maxlength": False})
    description = TextAreaField(
        _l("Describe the project"),
        description=_l("What will happen, who it helps, and how you will know it worked."),
        validators=[LONG])
    cost = MoneyField(_l("How much do you need?"), optional=True,
                      description=_l("In pounds, for example 1500 or 1,500.50."))
    cost_lines = FieldList(FormField(CostLineForm), min_entries=3, max_entries=20)
    area = SelectField(_l("Which area will it serve?"), validate_choice=False)
    category = SelectField(_l("Category"), validate_choice=False)
    contact = StringField(
        _l("Contact email or phone for this project"),
        description=_l("Only the organisers see this."),
        validators=[Length(max=254, message=_l("Keep this to 254 characters or fewer."))])
    photo = FileField(_l("A photo (optional)"),
                      description=_l("JPEG, PNG, WebP or GIF, up to 5 MB. Do not include "
                                     "people who have not agreed to be shown."))
    easy_read_summary = TextAreaField(
        _l("Easy Read summary (optional)"),
        description=_l("Short sentences, one idea in each, for people who find reading hard."),
        validators=[Optional(), Length(max=2000, message=_l("Keep this to 2,000 characters or "
                                                            "fewer."))])
    title_cy = StringField(_l("Title in Welsh (optional)"), validators=[
        Optional(), Length(max=200, message=_l("Keep the title to 200 characters or fewer."))])
    summary_cy = TextAreaField(_l("Summary in Welsh (optional)"), validators=[
        Optional(), Length(max=SUMMARY_MAX, message=_l(
            "Keep the summary to %(n)s characters or fewer.", n=SUMMARY_MAX))],
        render_kw={"maxlength": False})
    easy_read_summary_cy = TextAreaField(
        _l("Easy Read summary in Welsh (optional)"),
        validators=[Optional(), Length(max=2000, message=_l("Keep this to 2,000 characters or "
                                                            "fewer."))])


class WithdrawForm(FlaskForm):
    """Only the CSRF token: withdrawing asks nothing more."""
