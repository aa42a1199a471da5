"""Form helpers shared by the blueprints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .errors import DomainError, Refused
from .extensions import db
from .money import MoneyError, parse_money


class MoneyField(StringField):
    """A text box for an amount of money; `.minor` holds the parsed amount in minor units.

    With `optional=True` an empty box is allowed and `.minor` is None; with `allow_zero=True`
    0 is an amount. `messages` rewords a problem for this question, by MoneyError code
    (for example {"empty": "Enter how much has been spent so far."}).
    """

    minor: int | None = None

    def __init__(self, *args, currency: str = "GBP", optional: bool = False,
                 allow_zero: bool = False, messages: dict | None = None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "spellcheck": "false"})
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.optional = optional
        self.allow_zero = allow_zero
        self.messages = messages or {}

    def pre_validate(self, form):
        self.minor = None
        if self.optional and not (self.data or "").strip():
            return
        try:
            self.minor = parse_money(self.data, self.currency, allow_zero=self.allow_zero)
        except MoneyError as error:
            raise ValidationError(str(self.messages.get(error.code, error))) from error


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes with one name: a fieldset of choices that needs no JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Attach a domain error to the field it concerns, or to the form as a whole."""
    problems = getattr(error, "problems", None)
    if problems:
        for problem in problems:
            show_error(form, problem)
        return
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def error_list(form: FlaskForm) -> list[tuple[str, str]]:
    """(field id, message) pairs for the error summary at the top of a page."""
    found = [("", str(m)) for m in form.form_errors]
    for field in form:
        found.extend(_field_errors(field))
    return found


def _field_errors(field) -> list[tuple[str, str]]:
    """Errors of a field; for a list of sub-forms, each sub-field's own, then the list's."""
    found: list[tuple[str, str]] = []
    for entry in getattr(field, "entries", None) or []:
        for sub in getattr(entry, "form", [entry]):
            found.extend((sub.id, str(m)) for m in sub.errors if _is_message(m))
    found.extend((field.id, str(m)) for m in field.errors if _is_message(m))
    return found


def _is_message(message) -> bool:
    """A message, as opposed to the nested errors of a sub-form (a dict or a list)."""
    return not isinstance(message, (dict, list, tuple))


def attempt(form: FlaskForm, action: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """Run one service call: commit and return (True, result), or roll back, put the error on
    the form beside its field, and return (False, None)."""
    try:
        result = action(*args)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        if isinstance(error, Refused) and error.audit:
            from .services import audit

            actor, action, target, details = error.audit
            audit.record(actor, action, target, **details)
            db.session.commit()
        return False, None
    db.session.commit()
    from .services import mail

    mail.send_if_queued()
    return True, result
