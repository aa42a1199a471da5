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


def _whole(text: str | None) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0


def instance_path(root: Path) -> Path:
    """Where the SQLite database, the generated secret key and demo files live."""
    return Path(os.environ.get("PB_INSTANCE_PATH") or root / "instance")


def from_environment(instance_path: Path) -> dict:
    """Build the Flask configuration from environment variables."""
    database_url = os.environ.get("PB_DATABASE_URL") or f"sqlite:///{instance_path / 'pb.sqlite3'}"
    base_url = os.environ.get("PB_BASE_URL", "http://127.0.0.1:5000")
    # Cookies only over HTTPS: PB_SECURE_COOKIES says so, else a site reached over https.
    secure_setting = os.environ.get("PB_SECURE_COOKIES", "").strip().lower()
    secure_cookies = (secure_setting in ("1", "true", "yes", "on") if secure_setting
                      else base_url.lower().startswith("https://"))
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
        "BASE_URL": base_url,
        "MAIL_DEFAULT_SENDER": os.environ.get("PB_MAIL_SENDER", "pb@localhost"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        # Pages that other sites may show in a frame (the live results screen, published
        # results): the origins allowed, space separated, e.g. "https://council.example".
        "PB_EMBED_ORIGINS": os.environ.get("PB_EMBED_ORIGINS", "").split(),
        # How many proxies in front of the app set X-Forwarded-For/-Proto (0: trust none).
        "PB_TRUSTED_PROXIES": _whole(os.environ.get("PB_TRUSTED_PROXIES")),
        # Rate limits: kept in Redis when set (shared by every worker), else in memory.
        "PB_REDIS_URL": os.environ.get("PB_REDIS_URL") or None,
        "PB_RATE_LIMITS": os.environ.get("PB_RATE_LIMITS", "on").strip().lower()
        not in ("off", "0", "false", "no"),
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
