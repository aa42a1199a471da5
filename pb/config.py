"""Configuration: the only module that reads the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """Return PB_SECRET_KEY, or a key generated once and kept in the instance folder."""
    key = os.environ.get("PB_SECRET_KEY")
    if key:
        return key
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # another worker created it first; use theirs
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def instance_path(root: Path) -> Path:
    """Where the SQLite database, the generated secret key and demo files live."""
    return Path(os.environ.get("PB_INSTANCE_PATH") or root / "instance")


def from_environment(instance_path: Path) -> dict:
    """Build the Flask configuration from environment variables."""
    database_url = os.environ.get("PB_DATABASE_URL") or f"sqlite:///{instance_path / 'pb.sqlite3'}"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MAIL_SERVER": os.environ.get("PB_MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(os.environ.get("PB_MAIL_PORT", "25") or 25),
        "MAIL_USERNAME": os.environ.get("PB_MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("PB_MAIL_PASSWORD"),
        "MAIL_USE_TLS": os.environ.get("PB_MAIL_USE_TLS", "") in ("1", "true", "yes"),
        # Where the site is reached, for links in email sent from the command line.
        "BASE_URL": os.environ.get("PB_BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_DEFAULT_SENDER": os.environ.get("PB_MAIL_SENDER", "pb@localhost"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("PB_SECURE_COOKIES", "") in ("1", "true", "yes"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "Europe/London",
        "LANGUAGES": ["en", "cy"],
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        # How long an invitation link works, in seconds (default 7 days).
        "PB_INVITATION_MAX_AGE": int(os.environ.get("PB_INVITATION_MAX_AGE") or 7 * 24 * 60 * 60),
        # How long an emailed link to vote works, in seconds (default 24 hours).
        "PB_VOTE_LINK_MAX_AGE": int(os.environ.get("PB_VOTE_LINK_MAX_AGE") or 24 * 60 * 60),
    }
