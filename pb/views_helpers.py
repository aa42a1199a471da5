"""What every page needs: user loading, template helpers, the resident's language and Easy
Read choice and error pages (security headers: pb/security.py)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

from babel.numbers import get_currency_symbol
from flask import (Flask, abort, current_app, g, has_request_context, render_template, request,
                   session)
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.datastructures import iter_multi_items
from werkzeug.exceptions import HTTPException

from .extensions import db, login_manager
from .forms import error_list
from .icons import category_icon, icon, icon_sprite
from .models import User
from .money import format_money, minor_digits
from .services import sharing
from .tally import Reason
from .tally.explain import reason_text


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


# Each language's name in that language: the switch always says "Cymraeg" and "English",
# whatever the page's language, so these are never translated.
LANGUAGES = {"en": "English", "cy": "Cymraeg"}
EASY_READ = "easy_read"  # session key: True while Easy Read and large text is on
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def easy_read_on() -> bool:
    """Whether this resident chose Easy Read and large text (kept in their session)."""
    return has_request_context() and session.get(EASY_READ) is True


def switch_url(path: str, args: Mapping, **changes: str) -> str:
    """The address `path` with its query kept and `changes` put in place of the same keys.

    The language and Easy Read switches lead to the page the resident is on, in the other
    language or mode: ``switch_url("/vote/x", {"page": "2"}, lang="cy")`` gives
    ``/vote/x?page=2&lang=cy``.
    """
    pairs = [(k, v) for k, v in iter_multi_items(args) if k not in changes]
    pairs += list(changes.items())
    path = "/" + path.lstrip("/")  # never "//host", which would lead to another site
    return quote(path, safe=_PATH_SAFE) + ("?" + urlencode(pairs) if pairs else "")


def _switch_here(**changes: str) -> str:
    """This page in another language or mode. An error page, and a page that only answers a
    form, lead to the start page instead: there is no page here to see again."""
    path, args = request.path, request.args
    if g.get("error_page") or (request.method != "GET" and not _answers_get(path)):
        path, args = "/", {}
    return request.script_root + switch_url(path, args, **changes)


def _answers_get(path: str) -> bool:
    try:
        current_app.create_url_adapter(request).match(path, method="GET")
    except HTTPException:  # NotFound, MethodNotAllowed, RequestRedirect: no page to come back to
        return False
    return True


def _preferences() -> dict:
    return {"easy_read": easy_read_on(), "languages": LANGUAGES,
            "locale": str(get_locale() or "en")}


def lang_attr(text) -> Markup:
    """` lang="en"` for text not in the page's language (an English title on a Welsh page)."""
    lang = getattr(text, "lang", None)
    if not lang or lang == str(get_locale() or "en"):
        return Markup("")
    return Markup(' lang="%s"') % lang


def how_money_is_shared(round_, result=None) -> list[tuple[str, str]]:
    """A round's allocation rule in plain words; a result's own rule and settings if given."""
    rule = result.rule if result is not None else round_.rule
    settings = result.rule_settings if result is not None else round_.rule_settings
    return sharing.how_money_is_shared(rule, settings, round_.ballot_type, round_.tie_break)


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
# The same in Easy Read: one idea to a line, each with an icon's name (templates/_macros.html).
ERROR_EASY = {
    400: [("warning", _l("Something went wrong with that.")),
          ("info", _l("Go back and try again."))],
    403: [("secret", _l("You cannot see this page.")),
          ("info", _l("You do not have permission to see it."))],
    404: [("warning", _l("We cannot find this page.")),
          ("check", _l("If you typed the address, check it.")),
          ("info", _l("Or go to the start page."))],
    405: [("warning", _l("That did not work.")),
          ("info", _l("Go back and use the buttons on the page."))],
    413: [("warning", _l("That is too big to send.")),
          ("info", _l("Try a smaller file, or less text."))],
    429: [("warning", _l("You tried too many times.")),
          ("calendar", _l("Wait one minute.")), ("info", _l("Then try again."))],
    500: [("warning", _l("Sorry, something went wrong.")),
          ("info", _l("Nothing you sent has been lost.")),
          ("calendar", _l("Please try again later."))],
}
EXPIRED_EASY = [("calendar", _l("This form was open for too long.")),
                ("info", _l("Go back and load the page again.")), ("info", _l("Then try again."))]


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(value) -> bool:
    """Whether a NUL is in any name or value: a string, JSON, or MultiDict.lists()."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        value = list(value.items())
    if isinstance(value, (list, tuple)) or hasattr(value, "__next__"):
        return any(_has_nul(item) for item in value)
    return False


def _translations():
    """This request's translations, looked up once per request and language rather than on each
    of the hundred-odd strings of a page (Flask-Babel looks them up every time). A change of
    language within the request (`force_locale`, `refresh`) gives a new locale object, so the
    lookup is made again."""
    from flask_babel import get_translations

    if not g:
        return get_translations()
    locale = get_locale()
    cached = g.get("_pb_translations")
    if cached is None or cached[0] is not locale:
        cached = g._pb_translations = (locale, get_translations())
    return cached[1]


def init_app(app: Flask) -> None:
    from .forms import _is_message

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)

    app.jinja_env.tests["message"] = _is_message
    app.jinja_env.globals.update(money=money, explain=explain, get_locale=get_locale,
                                  form_errors=error_list, minor_digits=minor_digits,
                                  format_datetime=format_datetime,
                                  currency_symbol=lambda c: get_currency_symbol(c, locale="en_GB"),
                                  switch_url=_switch_here, icon=icon, icon_sprite=icon_sprite,
                                  category_icon=category_icon,
                                  how_money_is_shared=how_money_is_shared)
    app.jinja_env.filters["lang_attr"] = lang_attr
    app.context_processor(_preferences)
    login_manager.login_message = None

    @app.before_request
    def _remember_easy_read():
        """`?easy=on` or `?easy=off` on any page: kept for the rest of the visit, no sign-in."""
        choice = request.args.get("easy")
        if choice in ("on", "off"):
            session[EASY_READ] = choice == "on"

    @app.before_request
    def _refuse_nul():
        """A NUL character is never part of a real address or form; PostgreSQL refuses it."""
        if "\x00" in request.path:
            abort(404)
        # The API checks its own parameters and names the one at fault.
        if not request.path.startswith("/api/") and _has_nul(request.args.lists()):
            abort(400)
        # Every value of every field, in any body a form reads: Flask-WTF takes JSON as well.
        if request.mimetype in FORM_TYPES and _has_nul(request.form.lists()):
            abort(400)
        if request.is_json and _has_nul(request.get_json(silent=True)):
            abort(400)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return _error_page(400, _("This form has expired"),
                           _("Go back, reload the page and try again."), EXPIRED_EASY)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        from .api.errors import from_http_exception, is_api_request

        if is_api_request():
            return from_http_exception(error)
        code = error.code or 500
        known = code if code in ERROR_TEXT else 500 if code >= 500 else 400
        title, body = ERROR_TEXT[known]
        if code == 429:
            body = _too_many_wait() or body
        return _error_page(code, str(title), str(body), ERROR_EASY[known])

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        title, body = ERROR_TEXT[500]
        return _error_page(500, str(title), str(body), ERROR_EASY[500])


def _too_many_wait() -> str | None:
    """When a limit longer than a minute was reached, the time the resident may try again."""
    from datetime import datetime, timezone

    from .extensions import limiter

    current = limiter.current_limit
    if current is None:
        return None
    reset = datetime.fromtimestamp(current.reset_at, tz=timezone.utc)
    if (reset - datetime.now(timezone.utc)).total_seconds() <= 90:
        return None
    return _("You can try again after %(when)s.",
             when=format_datetime(reset, "d MMMM yyyy, HH:mm"))


def _error_page(code: int, title: str, body: str, easy: list | None = None):
    from .api.errors import error_response, is_api_request

    if is_api_request():  # JSON of the API's own shape: {"error": {"status", "message"}}
        return error_response(code)
    easy = [(name, str(text)) for name, text in easy or ()]
    g.error_page = True
    return render_template("errors/error.html", code=code, title=title, body=body,
                           easy=easy), code

