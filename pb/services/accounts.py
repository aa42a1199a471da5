"""Staff accounts: password hashing with argon2, sign-in and creating users."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..errors import DomainError
from ..extensions import db
from ..models import Membership, User
from . import audit

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")

MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(email: str, password: str) -> User:
    """Return the active user with this email and password, or raise DomainError."""
    user = db.session.scalars(
        select(User).where(func.lower(User.email) == (email or "").strip().lower())
    ).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise DomainError(str(_l("The email address or password is not right.")), field="password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def create_user(
    email: str,
    name: str,
    password: str,
    memberships: list[tuple[int, int | None, str]] = (),
    actor: User | None = None,
) -> User:
    """Create a staff user with (council_id, partnership_id or None, role) memberships."""
    email = email.strip().lower()
    if "@" not in email:
        raise DomainError(str(_l("Enter an email address like name@example.org.")), field="email")
    if len(password) < MIN_PASSWORD:
        raise DomainError(
            str(_l("Use a password of at least %(n)s characters.", n=MIN_PASSWORD)), field="password"
        )
    if db.session.scalars(select(User).where(func.lower(User.email) == email)).first():
        raise DomainError(str(_l("There is already an account with that email.")), field="email")
    user = User(email=email, name=name.strip() or email, password_hash=hash_password(password))
    for council_id, partnership_id, role in memberships:
        user.memberships.append(
            Membership(council_id=council_id, partnership_id=partnership_id, role=role)
        )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.created",
        user,
        email=email,
        roles=[[c, p, r] for c, p, r in memberships],
    )
    return user
