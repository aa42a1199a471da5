"""What every page needs: user loading, template helpers, security headers and error pages."""

from __future__ import annotations

from babel.numbers import get_currency_symbol
from flask import Flask, abort, render_template, request
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db, login_manager
from .forms import error_list
from .models import User
from .money import format_money, minor_digits
from .tally import Reason
from .tally.explain import reason_text


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def money(amount: int | None, currency: str = "GBP") -> str:
    if amount is None:
        return ""
    locale = str(get_locale() or "en")
    return format_money(int(amount), currency, locale="cy_GB" if locale == "cy" else "en_GB")


PROJECT_PARAMS = ("with", "at")  # reason parameters that name another project by id


def explain(reason: dict, currency: str = "GBP", names: dict[str, str] | None = None) -> str:
    """A result's reason for one project, in the resident's language, naming projects by title."""
    params = dict(reason.get("params", {}))
    for key in PROJECT_PARAMS:
        if key in params and names:
            params[key] = names.get(str(params[key]), params[key])
    return reason_text(Reason(code=reason["code"], params=params),
                       gettext=_, money=lambda amount: money(amount, currency))


ERROR_TEXT = {
    400: (_l("Something was wrong with that request"), _l("Go back and try again.")),
    403: (_l("You cannot see this page"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("If you typed the web address, check it is correct.")),
    405: (_l("That did not work"), _l("Go back and use the buttons on the page.")),
    413: (_l("That is too large"), _l("The file or form you sent is too large.")),
    429: (_l("Too many attempts"), _l("Wait a minute, then try again.")),
    500: (_l("Sorry, something went wrong"), _l("Try again later. Nothing you sent has been lost.")),
}


def init_app(app: Flask) -> None:
    from .forms import _is_message

    app.jinja_env.tests["message"] = _is_message
    app.jinja_env.globals.update(money=money, explain=explain, get_locale=get_locale,
                                  form_errors=error_list, minor_digits=minor_digits,
                                  format_datetime=format_datetime,
                                  currency_symbol=lambda c: get_currency_symbol(c, locale="en_GB"))
    login_manager.login_message = None

    @app.before_request
    def _refuse_nul():
        """A NUL character is never part of a real address or form; PostgreSQL refuses it."""
        if "\x00" in request.path:
            abort(404)
        # The API checks its own parameters and names the one at fault.
        if not request.path.startswith("/api/") and any(
                "\x00" in v for v in request.args.values()):
            abort(400)
        if request.mimetype == "application/x-www-form-urlencoded" and any(
                "\x00" in v for v in request.form.values()):
            abort(400)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        # The vote pages add no-store and no-referrer themselves (pb/vote/views.py).
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return _error_page(400, _("This form has expired"),
                           _("Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        from .api.errors import from_http_exception, is_api_request

        if is_api_request():
            return from_http_exception(error)
        code = error.code or 500
        title, body = ERROR_TEXT.get(code, ERROR_TEXT[500] if code >= 500 else ERROR_TEXT[400])
        return _error_page(code, str(title), str(body))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        title, body = ERROR_TEXT[500]
        return _error_page(500, str(title), str(body))


def _error_page(code: int, title: str, body: str):
    from .api.errors import error_response, is_api_request

    if is_api_request():  # JSON of the API's own shape: {"error": {"status", "message"}}
        return error_response(code)
    return render_template("errors/error.html", code=code, title=title, body=body), code

