"""Staff sign-in: argon2 hashes kept current, cookie flags, session protection."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from pb.extensions import db
from pb.models.user import ORGANISER
from tests import factories
from tests.functional.helpers import login


# Sign-in: argon2 hashes are brought up to the current parameters when a person signs in.
def test_sign_in_rehashes_a_password_hashed_with_old_parameters(app, client):
    from pb.services import accounts

    council, _parts = factories.council_with_partnerships(["North"])
    user = factories.user(council, "old@x.example", ORGANISER)
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    user.password_hash = old_hash = weak.hash(factories.PASSWORD)
    db.session.commit()
    assert accounts._hasher.check_needs_rehash(old_hash)
    assert login(client, user.email).status_code == 302
    db.session.refresh(user)
    assert user.password_hash != old_hash
    assert not accounts._hasher.check_needs_rehash(user.password_hash)
    accounts._hasher.verify(user.password_hash, factories.PASSWORD)


def test_a_current_hash_is_kept_on_sign_in(app, client):
    council, _parts = factories.council_with_partnerships(["North"])
    user = factories.user(council, "new@x.example", ORGANISER)
    db.session.commit()
    current = user.password_hash
    assert login(client, user.email).status_code == 302
    db.session.refresh(user)
    assert user.password_hash == current


# Cookies.
COOKIE_CASES = [
    ({}, False),
    ({"PB_BASE_URL": "https://pb.example.org"}, True),
    ({"PB_BASE_URL": "http://127.0.0.1:5000"}, False),
    ({"PB_SECURE_COOKIES": "1"}, True),
    ({"PB_SECURE_COOKIES": "0", "PB_BASE_URL": "https://pb.example.org"}, False),
]


@pytest.mark.parametrize("env, secure", COOKIE_CASES,
                         ids=["default", "https-base", "http-base", "forced-on", "forced-off"])
def test_cookie_flags_follow_the_settings(monkeypatch, tmp_path, env, secure):
    from pb import config

    for name in ("PB_BASE_URL", "PB_SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = config.from_environment(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] is secure
    assert settings["REMEMBER_COOKIE_SECURE"] is secure
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["REMEMBER_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_session_cookie_carries_the_flags(app, client):
    """The cookie a signed-in person gets says HttpOnly, SameSite=Lax and, here, Secure."""
    council, _parts = factories.council_with_partnerships(["North"])
    user = factories.user(council, "cookie@x.example", ORGANISER)
    db.session.commit()
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    response = client.post("/auth/login", data={"email": user.email,
                                                "password": factories.PASSWORD},
                           base_url="https://localhost")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_session_protection_is_strong(app):
    from pb.extensions import login_manager

    assert login_manager.session_protection == "strong"
