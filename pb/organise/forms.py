from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..services.voting import MAX_CODES_PER_BATCH


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Why is it not going on the ballot?"),
                           description=_l("The proposer will see this."),
                           validators=[DataRequired(_l("Say why, so the proposer knows.")),
                                       Length(max=2000)])


class CodesForm(FlaskForm):
    count = IntegerField(
        _l("How many codes?"),
        validators=[InputRequired(_l("Enter how many codes to make, as a number.")),
                    NumberRange(min=1, max=MAX_CODES_PER_BATCH,
                                message=_l("Choose between 1 and %(n)s codes.", n=f"{MAX_CODES_PER_BATCH:,}"))])
    batch = StringField(_l("Label for this batch (optional)"),
                        description=_l("For example, the event or the street where the cards go."),
                        validators=[Optional(), Length(max=80)])
