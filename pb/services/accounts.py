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
from .mail import current_language, looks_like_email

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


def find_by_email(email: str) -> User | None:
    """The account with this email address, whatever its case, or None."""
    return db.session.scalars(
        select(User).where(func.lower(User.email) == (email or "").strip().lower())
    ).first()


def _new_user(email: str, name: str, password: str,
              memberships: list[tuple[int, int | None, str]] = ()) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise DomainError(str(_l("Enter an email address like name@example.org.")), field="email")
    if len(password) < MIN_PASSWORD:
        raise DomainError(
            str(_l("Use a password of at least %(n)s characters.", n=MIN_PASSWORD)), field="password"
        )
    if find_by_email(email):
        raise DomainError(str(_l("There is already an account with that email.")), field="email")
    user = User(email=email, name=name.strip() or email, password_hash=hash_password(password),
                locale=current_language())
    for council_id, partnership_id, role in memberships:
        user.memberships.append(
            Membership(council_id=council_id, partnership_id=partnership_id, role=role)
        )
    db.session.add(user)
    db.session.flush()
    return user


def create_user(
    email: str,
    name: str,
    password: str,
    memberships: list[tuple[int, int | None, str]] = (),
    actor: User | None = None,
) -> User:
    """Create a staff user with (council_id, partnership_id or None, role) memberships."""
    user = _new_user(email, name, password, memberships)
    audit.record(
        actor,
        "user.created",
        user,
        email=user.email,
        roles=[[c, p, r] for c, p, r in memberships],
    )
    return user


def register_user(email: str, name: str, password: str, **details) -> User:
    """Let someone create their own account, with no roles; they are the actor in the log."""
    if not " ".join((name or "").split()):
        raise DomainError(str(_l("Enter your name.")), field="name")
    if len(" ".join(name.split())) > 200:
        raise DomainError(str(_l("Keep your name to 200 characters or fewer.")), field="name")
    if not looks_like_email(email) or len(email.strip()) > 254:
        raise DomainError(str(_l("Enter an email address like name@example.org.")), field="email")
    user = _new_user(email, " ".join(name.split()), password)
    audit.record(user, "user.registered", user, email=user.email, **details)
    return user
