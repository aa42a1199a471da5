"""Form helpers shared by the blueprints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm

from .errors import DomainError
from .extensions import db


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


def show_error(form: FlaskForm, error: DomainError) -> None:
    """Attach a domain error to the field it concerns, or to the form as a whole."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def error_list(form: FlaskForm) -> list[tuple[str, str]]:
    """(field id, message) pairs for the error summary at the top of a page."""
    found = [("", str(m)) for m in form.form_errors]
    for field in form:
        for message in field.errors:
            found.append((field.id, str(message)))
    return found


def attempt(form: FlaskForm, action: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """Run one service call: commit and return (True, result), or roll back, put the error on
    the form beside its field, and return (False, None)."""
    try:
        result = action(*args)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return False, None
    db.session.commit()
    from .services import mail

    mail.send_if_queued()
    return True, result
