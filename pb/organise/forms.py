from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.widgets import TextInput
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                StopValidation, ValidationError)

from wtforms.fields.choices import SelectChoice
from wtforms.widgets import TextInput

from ..forms import MoneyField, MultiCheckboxField

from ..errors import DomainError
from ..services.partnerships import postcode_districts
from ..services.voting import MAX_CODES_PER_BATCH


# Whole numbers typed into a form are clamped to this size: NumberRange compares through a
# float, which a number of more than 308 digits overflows, and the database column is 64-bit.
# Clamped, a huge number is still out of every range and gets the range's message.
HUGE = 10**18


def _clamped(number: int) -> int:
    return max(-HUGE, min(HUGE, number))


class WholeNumberField(IntegerField):
    """A box for a whole number, with a plain message when something else is typed.

    A text box with a numeric keypad rather than type="number", whose spinners and silent
    rounding confuse people."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "") or ""
        if not text.strip():
            self.data = None
            return
        try:
            self.data = _clamped(int(text.strip()))
        except ValueError as error:
            self.data = None
            raise ValueError(str(_l("Enter a whole number, like 5."))) from error


class DistrictsField(TextAreaField):
    """Postcode districts, one a line; `.codes` holds them once the form is validated."""

    codes: list[str] = []

    def pre_validate(self, form):
        self.codes = []
        try:
            self.codes = postcode_districts(self.data or "", field=self.name)
        except DomainError as error:
            raise ValidationError(error.message) from error


class RejectForm(FlaskForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reject")  # three such forms share the review page
        super().__init__(*args, **kwargs)

    reason = TextAreaField(_l("Why is it not going on the ballot?"),
                           description=_l("The proposer will see this."),
                           validators=[DataRequired(_l("Say why, so the proposer knows.")),
                                       Length(max=2000)])


class CountField(IntegerField):
    """A whole number typed by a person: spaces and thousands commas are fine.

    A text box (with a number keypad on phones), so that whatever was typed comes back as
    typed when it is wrong; a number box would show it empty.
    """

    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].replace(",", "").replace(" ", "")
        try:
            self.data = _clamped(int(text))
        except ValueError:
            self.data = None
            if text:
                raise ValueError(str(_l("Enter how many codes to make as a number, like 50.")))

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # one message is enough


class CodesForm(FlaskForm):
    count = CountField(
        _l("How many codes?"),
        description=_l("Up to %(n)s in one batch.", n=f"{MAX_CODES_PER_BATCH:,}"),
        validators=[InputRequired(_l("Enter how many codes to make, as a number.")),
                    NumberRange(min=1, max=MAX_CODES_PER_BATCH,
                                message=_l("Choose between 1 and %(n)s codes.", n=f"{MAX_CODES_PER_BATCH:,}"))])
    label = StringField(_l("Label for this batch (optional)"),
                        description=_l("For example, the event or the street where the cards go."),
                        validators=[Optional(), Length(max=80, message=_l(
                            "Keep the label to 80 characters or fewer."))])


class ChangesForm(FlaskForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "changes")  # three such forms share the review page
        super().__init__(*args, **kwargs)

    note = TextAreaField(_l("What should the proposer change?"),
                         description=_l("The proposer will see this and can then edit and send "
                                        "the proposal again."),
                         validators=[DataRequired(_l("Say what should change.")),
                                     Length(max=2000)])


class AdjustCostForm(FlaskForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "cost")  # three such forms share the review page
        super().__init__(*args, **kwargs)

    amount = MoneyField(_l("New amount"), description=_l("In pounds, for example 1500."))
    reason = TextAreaField(_l("Why does the amount change?"),
                           description=_l("The proposer will see this."),
                           validators=[DataRequired(_l("Say why the amount changes, so the "
                                                       "proposer knows.")), Length(max=2000)])


DATE_HINT = _l("For example 2027-03-14, or 2027-03-14 10:00. UK time.")


class DateTimeText(StringField):
    """A date, with an optional time, typed in UK time; `.when` holds it in UTC or None."""

    when = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("description", DATE_HINT)
        super().__init__(*args, **kwargs)

    def pre_validate(self, form):
        self.when = None
        text = (self.data or "").strip()
        if not text:
            return
        try:
            self.when = parse_uk_datetime(text)
        except ValueError as error:
            raise ValidationError(str(_l("Enter a real date, like 2027-03-14 or 14/03/2027, with "
                                         "a time if you want one, like 10:00."))) from error


def parse_uk_datetime(text: str):
    """Parse "2027-03-14", "2027-03-14T10:00", "14/03/2027 10:00" as UK time, return UTC."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    cleaned = " ".join(text.replace("T", " ").split())
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            local = datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        if not 2000 <= local.year <= 2100:
            raise ValueError(text)
        return local.replace(tzinfo=ZoneInfo("Europe/London")).astimezone(timezone.utc)
    raise ValueError(text)


def uk_input(when) -> str:
    """A stored UTC time as the organiser would type it back."""
    if when is None:
        return ""
    from zoneinfo import ZoneInfo

    local = when.astimezone(ZoneInfo("Europe/London"))
    return local.strftime("%Y-%m-%d") if (local.hour, local.minute) == (0, 0) else \
        local.strftime("%Y-%m-%d %H:%M")


class RoundForm(FlaskForm):
    """A round's settings. The pot, the ballot and the rule are fixed once voting opens."""

    title = StringField(_l("Name of the round"),
                        description=_l("For example: Macclesfield Decides 2027."),
                        validators=[DataRequired(_l("Enter a name for the round.")),
                                    Length(max=200, message=_l("Keep the name to 200 characters or "
                                                               "fewer."))])
    description = TextAreaField(_l("What is the round for? (optional)"),
                                validators=[Optional(), Length(max=5000)])
    partnership = SelectField(_l("Who runs it?"), coerce=int, validate_choice=False)
    pot = MoneyField(_l("The pot: how much to share out"),
                     description=_l("In pounds, for example 100000."))
    currency = SelectField(_l("Currency"), choices=[SelectChoice("GBP", _l("Pounds (GBP)")),
                                                    SelectChoice("EUR", _l("Euros (EUR)"))])
    award_min = MoneyField(_l("Smallest amount a project may ask for (optional)"), optional=True)
    award_max = MoneyField(_l("Largest amount a project may ask for (optional)"), optional=True,
                           description=_l("Leave both empty to allow anything up to the pot. "
                                          "For small grants “up to £250”, fill in only this one."))
    categories = MultiCheckboxField(_l("Categories"), validate_choice=False,
                                    description=_l("Leave all unticked to offer every category."))
    extra_categories = TextAreaField(
        _l("Other categories (optional)"), description=_l("One on each line."),
        validators=[Optional(), Length(max=2000)])
    areas = MultiCheckboxField(_l("Areas in play"), coerce=int, validate_choice=False,
                               description=_l("Leave all unticked to include every area."))
    proposals_open_at = DateTimeText(_l("Proposals open"))
    proposals_close_at = DateTimeText(_l("Proposals close and review begins"))
    shortlist_at = DateTimeText(_l("Shortlist announced"))
    voting_opens_at = DateTimeText(_l("Voting opens"))
    voting_closes_at = DateTimeText(_l("Voting closes"))
    results_at = DateTimeText(_l("Results published"))
    delivery_by = DateTimeText(_l("Projects delivered by"))
    voting_methods = MultiCheckboxField(
        _l("How residents show they may vote"), validate_choice=False,
        description=_l("Tick at least one. You can offer several ways at once."))
    eligible_districts = DistrictsField(
        _l("Postcode districts whose residents may vote (optional)"),
        description=_l("The first part of the postcode, like SK10 or SK11, one on each line. "
                       "Leave empty to use the round’s postcode-district areas; with none, "
                       "anyone with a UK postcode may vote."),
        validators=[Optional(), Length(max=2000)])
    min_age = WholeNumberField(
        _l("Minimum age to vote (optional)"),
        description=_l("For example 16. Residents confirm they are old enough. Leave empty "
                       "for no age limit."))
    equality_questions = BooleanField(_l("Ask the optional equality questions after voting"),
                                      description=_l("Residents may skip any question. The "
                                                     "answers are kept apart from the votes."))
    personal_data_retention_days = WholeNumberField(
        _l("Days to keep residents’ personal data"),
        description=_l("Counted from when the results are published (or from when voting "
                       "closes, if they never are). Then email addresses, postcodes and "
                       "equality answers are deleted; the anonymous votes stay. 90 days "
                       "unless you choose otherwise."))
    ballot_type = RadioField(_l("How residents vote"), validate_choice=False)
    min_choices = WholeNumberField(_l("Fewest projects a voter must choose (optional)"),
                                   validators=[Optional(), NumberRange(min=1, max=100, message=_l(
                                       "Enter a number from 1 to 100."))])
    max_choices = WholeNumberField(_l("Most projects a voter may choose (optional)"),
                                   validators=[Optional(), NumberRange(min=1, max=100, message=_l(
                                       "Enter a number from 1 to 100."))])
    rank_places = WholeNumberField(
        _l("How many places to fill (optional)"),
        description=_l("Only for putting projects in order. If empty: 5, or fewer when there "
                       "are fewer projects."),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l(
            "Enter a number from 1 to 100."))])
    min_points = WholeNumberField(
        _l("Lowest score (optional)"), description=_l("Only for giving scores. 0 if empty."),
        validators=[Optional(), NumberRange(min=0, max=99, message=_l(
            "Enter a number from 0 to 99."))])
    max_points = WholeNumberField(
        _l("Highest score (optional)"), description=_l("Only for giving scores. 5 if empty."),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l(
            "Enter a number from 1 to 100."))])
    max_total_points = WholeNumberField(
        _l("Points each resident shares out (optional)"),
        description=_l("Only for sharing out points. 10 if empty."))
    budget_limit = MoneyField(_l("Spending limit for each voter (optional)"), optional=True,
                              description=_l("Only for voting up to a spending limit. Leave "
                                             "empty to use the whole pot."))
    rule = RadioField(_l("How the money is shared"), validate_choice=False)
    threshold_percent = WholeNumberField(
        _l("Share of voters a project needs, in per cent"),
        description=_l("Only for the rule with a minimum share."),
        validators=[Optional(), NumberRange(min=1, max=100, message=_l(
            "Enter a number from 1 to 100."))])
    use_leftover = BooleanField(_l("With equal shares, use money left over by raising every "
                                   "voter's share until the pot is spent"))
    tie_break = RadioField(_l("If two projects tie"), validate_choice=False)
    allow_vote_change = BooleanField(_l("Residents may change their vote until voting closes"))


# What each kind of ballot asks of a resident, in plain words, shown under each choice.
BALLOT_TYPE_HINTS = {
    "approval": _l("Each resident ticks every project they would be happy to see funded. "
                   "Quick, and easy to explain."),
    "knapsack": _l("Each resident ticks projects whose costs together fit within a spending "
                   "limit, so they weigh up what things cost."),
    "choose-one": _l("Each resident picks only their favourite. The simplest ballot, but it "
                     "tells you least."),
    "ranking": _l("Each resident numbers their favourites 1, 2, 3 and so on. Set how many "
                  "places below."),
    "scoring": _l("Each resident gives projects a score, for example from 0 to 5. Set the "
                  "lowest and highest score below."),
    "points": _l("Each resident shares out a number of points, for example 10, between the "
                 "projects they like. Set how many below."),
}
