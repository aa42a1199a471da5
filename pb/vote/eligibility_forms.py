"""Forms for voting without a code: by email link, by postcode, and the equality questions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ..models.equality import PREFER_NOT, QUESTIONS

POSTCODE_HINT = _l("The postcode of where you live, work or study, for example SK11 6DA.")


class PostcodeForm(FlaskForm):
    postcode = StringField(_l("Postcode"), description=POSTCODE_HINT,
                           validators=[Length(max=16, message=_l(
                               "That is too long to be a postcode. Enter it like SK11 6DA."))])
    # The labels name the round's minimum age and area: see `for_round`.
    old_enough = BooleanField(_l("I am old enough to vote"))
    in_area = BooleanField(_l("I live, work or study in the area"))

    def for_round(self, round_) -> "PostcodeForm":
        if round_.min_age:
            self.old_enough.label.text = _l("I am at least %(age)s years old", age=round_.min_age)
        districts = round_.eligible_postcode_districts()
        if districts:
            self.in_area.label.text = _l("I live, work or study in the area (%(districts)s)",
                                         districts=", ".join(districts))
        return self


class EmailLinkForm(PostcodeForm):
    email = StringField(_l("Email address"),
                        description=_l("We send a link to vote to this address. We keep "
                                       "nothing that shows your address."),
                        validators=[Length(max=254, message=_l(
                            "That is too long to be an email address."))])


class EqualityForm(FlaskForm):
    """Every question may be skipped or answered "prefer not to say"."""


for _key, (_label, _options) in QUESTIONS.items():
    setattr(EqualityForm, _key, RadioField(
        _label, validators=[Optional()],
        choices=[*(SelectChoice(k, v) for k, v in _options.items()),
                 SelectChoice(PREFER_NOT, _l("Prefer not to say"))]))
