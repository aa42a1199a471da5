from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    code = StringField(
        _l("Your voting code"),
        description=_l("It is on your voting card, for example ABCDE-12345."),
        validators=[DataRequired(_l("Enter the code from your voting card.")),
                    Length(max=40, message=_l("That is too long to be a voting code."))])


class ReceiptForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only look-up by GET

    receipt = StringField(
        _l("Your receipt code"),
        description=_l("You were shown it after you voted, for example ABCD-EFGH-JKMN."),
        validators=[DataRequired(_l("Enter your receipt code.")), Length(max=40)])
