"""Forms for setting up partnerships and inviting people into them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..models.invitation import INVITABLE_ROLES, ROLE_LABELS
from ..services.partnerships import AREA_FIELD_LABELS, AreasInput

AREA_TEXT_LIMIT = 20_000


def _area_box(field: str, example: str) -> TextAreaField:
    return TextAreaField(
        AREA_FIELD_LABELS[field],
        description=_l("One per line, for example %(example)s.", example=example),
        validators=[Length(max=AREA_TEXT_LIMIT, message=_l("That list is too long."))],
        render_kw={"maxlength": False, "spellcheck": "false"},
    )


class PartnershipForm(FlaskForm):
    name = StringField(_l("Partnership name"), validators=[
        DataRequired(_l("Enter the partnership's name.")),
        Length(max=200, message=_l("Keep the name to 200 characters or fewer."))])
    wards = _area_box("wards", "Tytherington")
    estates = _area_box("estates", "Weston Estate")
    villages = _area_box("villages", "Prestbury")
    postcode_districts = _area_box("postcode_districts", "SK10")

    def areas(self) -> AreasInput:
        return AreasInput(wards=self.wards.data or "", estates=self.estates.data or "",
                          villages=self.villages.data or "",
                          postcode_districts=self.postcode_districts.data or "")


class InviteForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Enter the email address to send the invitation to.")),
        Length(max=254, message=_l("That email address is too long."))])
    # The service checks the choice, so a bad value gets the same plain message.
    role = RadioField(_l("Role in the partnership"), default=INVITABLE_ROLES[0],
                      choices=[SelectChoice(r, ROLE_LABELS[r]) for r in INVITABLE_ROLES],
                      validate_choice=False, validators=[DataRequired(_l("Choose a role."))])
