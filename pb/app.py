"""The web application: configuration, extensions, blueprints."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import config as config_module
from .extensions import babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Create the web application; `config` overrides settings read from the environment."""
    config = dict(config or {})
    app = Flask(
        __name__,
        instance_path=str(config.pop("INSTANCE_PATH", None) or config_module.instance_path(ROOT)),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config_module.from_environment(Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    app.before_request(_remember_language)

    from . import limits, security, static_files, views_helpers

    security.init_app(app)
    limits.init_app(app)
    views_helpers.init_app(app)
    static_files.init_app(app)

    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .delivery import bp as delivery_bp
    from .main import bp as main_bp
    from .organise import bp as organise_bp
    from .proposals import bp as proposals_bp
    from .results import bp as results_bp
    from .vote import bp as vote_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(proposals_bp, url_prefix="/proposals")
    app.register_blueprint(organise_bp, url_prefix="/organise")
    app.register_blueprint(vote_bp, url_prefix="/vote")
    app.register_blueprint(results_bp, url_prefix="/results")
    app.register_blueprint(delivery_bp, url_prefix="/delivery")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    return app


LANGUAGES = ["en", "cy"]


def _select_locale() -> str:
    """The language chosen with `?lang=` (kept in the session), else the signed-in person's,
    else the browser's."""
    if not has_request_context():
        return "en"
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    from flask_login import current_user

    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    return request.accept_languages.best_match(LANGUAGES) or "en"


def _remember_language() -> None:
    """A signed-in person who switches language gets their email in it from then on."""
    chosen = request.args.get("lang")
    if chosen not in LANGUAGES:
        return
    from flask_login import current_user

    if current_user and current_user.is_authenticated and current_user.locale != chosen:
        current_user.locale = chosen
        db.session.commit()


def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and a busy timeout let several gunicorn workers share one SQLite file."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
