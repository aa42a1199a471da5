from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..models.delivery import MATCH_FUNDING_MAX, NOTE_MAX, OUTPUTS_MAX, STATUS_LABELS
from ..forms import MoneyField

class UpdateForm(FlaskForm):
    status = RadioField(_l("How is the project going?"),
                        choices=[SelectChoice(k, v) for k, v in STATUS_LABELS.items()],
                        validate_choice=False,  # the service names an unknown status
                        validators=[InputRequired(_l("Choose how the project is going."))])
    spent_to_date = MoneyField(
        _l("How much has been spent so far?"),
        description=_l("The total spent from the award to date, in pounds. Enter 0 if nothing "
                       "has been spent yet."),
        allow_zero=True,
        messages={"empty": _l("Enter how much has been spent so far. Enter 0 if nothing has "
                              "been spent yet."),
                  "negative": _l("The amount spent cannot be less than zero.")})
    outputs = TextAreaField(
        _l("What has the project done so far? (optional)"),
        description=_l("In your own words and numbers, for example “88 residents attended "
                       "healthy eating classes over 11 sessions”."),
        validators=[Optional(), Length(max=OUTPUTS_MAX, message=_l(
            "Keep this to %(n)s characters or fewer.", n=f"{OUTPUTS_MAX:,}"))],
        render_kw={"maxlength": False})
    savings_per_year = MoneyField(
        _l("Estimated savings to public services each year (optional)"),
        description=_l("For example fewer GP visits or care hours, in pounds a year. Leave it "
                       "empty if you do not know."),
        optional=True, allow_zero=True,
        messages={"negative": _l("Savings cannot be less than zero.")})
    match_funding = StringField(
        _l("Other funding for this project (optional)"),
        description=_l("For example “£500 from the town council”."),
        validators=[Optional(), Length(max=MATCH_FUNDING_MAX, message=_l(
            "Keep this to %(n)s characters or fewer.", n=MATCH_FUNDING_MAX))],
        render_kw={"maxlength": False})
    note = TextAreaField(
        _l("Short update (optional)"),
        description=_l("What has happened since the last update. People who follow this round "
                       "get it by email."),
        validators=[Optional(), Length(max=NOTE_MAX, message=_l(
            "Keep this to %(n)s characters or fewer.", n=f"{NOTE_MAX:,}"))],
        render_kw={"maxlength": False})
    photo = FileField(_l("Photo (optional)"),
                      description=_l("JPEG, PNG, WebP or GIF, up to 5 MB. We remove the "
                                     "location and camera details."),
                      render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"})


class FollowForm(FlaskForm):
    email = StringField(_l("Email address"), validators=[
        InputRequired(_l("Enter your email address.")),
        Length(max=254, message=_l("Enter an email address like name@example.org."))])
