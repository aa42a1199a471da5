from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..services.accounts import MIN_PASSWORD
from ..services.mail import looks_like_email


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Enter your email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=500)])


def _new_password() -> PasswordField:
    return PasswordField(
        _l("Create a password"),
        description=_l("At least %(n)s characters. A few words you will remember work well.",
                       n=MIN_PASSWORD),
        validators=[DataRequired(_l("Enter a password.")),
                    Length(min=MIN_PASSWORD, message=_l(
                        "Use a password of at least %(n)s characters.", n=MIN_PASSWORD)),
                    Length(max=500, message=_l("Use a password of 500 characters or fewer."))])


def _password_again() -> PasswordField:
    return PasswordField(_l("Type the password again"), validators=[
        DataRequired(_l("Type the password again.")),
        EqualTo("password", message=_l("The two passwords are not the same. Type them again."))])


def _name(hint=None) -> StringField:
    return StringField(_l("Your name"), description=hint, validators=[
        DataRequired(_l("Enter your name.")),
        Length(max=200, message=_l("Keep your name to 200 characters or fewer."))])


class RegisterForm(FlaskForm):
    name = _name(_l("Or the name of your group."))
    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Enter your email address.")),
        Length(max=254, message=_l("That email address is too long."))])
    password = _new_password()
    confirm = _password_again()

    def validate_email(self, field):
        # The service checks this too; checking here as well shows it with the other problems.
        if not looks_like_email(field.data):
            raise ValidationError(_l("Enter an email address like name@example.org."))


class InvitedNewAccountForm(FlaskForm):
    name = _name()
    password = _new_password()
    confirm = _password_again()


class InvitedSignInForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=500)])
