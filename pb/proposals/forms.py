from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..models.proposal import SUMMARY_MAX
from ..money import MoneyError, parse_money

CATEGORIES = {
    "health": _l("Health and wellbeing"),
    "older_people": _l("Older people"),
    "children": _l("Children and families"),
    "green": _l("Green spaces"),
    "community": _l("Community and culture"),
}


class MoneyField(StringField):
    """A text box for an amount of money; `.minor` holds the parsed amount in minor units."""

    minor: int | None = None

    def __init__(self, *args, currency: str = "GBP", **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def pre_validate(self, form):
        self.minor = None
        try:
            self.minor = parse_money(self.data, self.currency)
        except MoneyError as error:
            raise ValidationError(str(error)) from error


class ProposalForm(FlaskForm):
    partnership = SelectField(_l("Which partnership is proposing it?"), coerce=int,
                              validate_choice=False)
    title = StringField(_l("Project title"), validators=[
        DataRequired(_l("Enter a title.")), Length(max=200, message=_l("Keep the title to 200 characters or fewer."))])
    summary = TextAreaField(
        _l("Summary in plain words"),
        description=_l("What it is and who it helps, in %(n)s characters or fewer.", n=SUMMARY_MAX),
        validators=[DataRequired(_l("Enter a short summary.")),
                    Length(max=SUMMARY_MAX, message=_l("Keep the summary to %(n)s characters or fewer.", n=SUMMARY_MAX))],
        # No maxlength in the page: a browser would cut pasted text silently; the server says so.
        render_kw={"maxlength": False})
    description = TextAreaField(_l("More detail (optional)"), validators=[
        Optional(), Length(max=10000, message=_l("Keep the detail to 10,000 characters or fewer."))])
    cost = MoneyField(_l("How much do you need?"),
                      description=_l("In pounds, for example 1500 or 1,500.50."))
    area = SelectField(_l("Area (optional)"), coerce=int, validate_choice=False)
    category = SelectField(_l("Category"), choices=[SelectChoice("", _l("Choose a category"))]
                           + [SelectChoice(k, v) for k, v in CATEGORIES.items()],
                           validators=[DataRequired(_l("Choose a category."))])
    contact = StringField(_l("Contact email or phone for this project"), validators=[
        DataRequired(_l("Enter a contact email or phone number.")), Length(max=254)])
