"""Inviting people into a partnership by email, with a signed, expiring, single-use link.

The link carries an itsdangerous token of the invitation's id and a random nonce; only a hash
of the nonce is stored, so nobody can rebuild a link from the database. Accepting marks the
invitation used with a conditional UPDATE, so a link works once even under concurrent use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, update

from ..errors import DomainError
from ..extensions import db
from ..models import Invitation, Membership, Partnership, User
from ..models.invitation import INVITABLE_ROLES, ROLE_LABELS
from ..models.types import utcnow
from . import access, accounts, audit, mail

SALT = "pb-invitation"
DEFAULT_MAX_AGE = 7 * 24 * 60 * 60  # seconds
WHEN_FORMAT = "d MMMM yyyy, HH:mm"  # how expiry times are shown, in the council's time zone

# Why a link cannot be used; each has its own page.
TAMPERED = "tampered"
EXPIRED = "expired"
USED = "used"
REVOKED = "revoked"
REPLACED = "replaced"


def max_age() -> int:
    """How long a link stays valid, in seconds: PB_INVITATION_MAX_AGE, or 7 days."""
    return int(current_app.config.get("PB_INVITATION_MAX_AGE") or DEFAULT_MAX_AGE)


class _Signer(TimestampSigner):
    """Signs with the same clock as the rest of this module, so expiry has one source of time."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_Signer)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


def send_invitation(actor: User, partnership: Partnership, email: str, role: str) -> Invitation:
    """Invite someone into the partnership in a role; a pending invitation to the same address
    is replaced, so only the newest link works."""
    access.require_partnership_manager(actor, partnership)
    email = (email or "").strip().lower()
    if not mail.looks_like_email(email) or len(email) > 254:
        raise DomainError(str(_l("Enter an email address like name@example.org.")), field="email")
    if role not in INVITABLE_ROLES:
        raise DomainError(str(_l("Choose a role.")), field="role")
    existing = accounts.find_by_email(email)
    if existing is not None and any(
        m.partnership_id == partnership.id and m.role == role for m in existing.memberships
    ):
        raise DomainError(str(_l("%(email)s already has the role %(role)s in this partnership.",
                                 email=email, role=ROLE_LABELS[role])), field="email")
    now = utcnow()
    replaced = list(db.session.scalars(select(Invitation).where(
        Invitation.partnership_id == partnership.id, Invitation.email == email,
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))))
    for old in replaced:
        old.revoked_at = now
    nonce = secrets.token_urlsafe(32)
    invitation = Invitation(
        partnership=partnership, council_id=partnership.council_id, email=email, role=role,
        nonce_hash=_hash(nonce), invited_by=actor, created_at=now,
        expires_at=now + timedelta(seconds=max_age()),
    )
    db.session.add(invitation)
    db.session.flush()
    token = _serializer().dumps([invitation.id, nonce])
    mail.queue(
        email,
        _l("Join %(partnership)s", partnership=partnership.name),
        "invitation",
        kind="invitation.sent",
        invitation=invitation,
        inviter=actor,
        partnership=partnership,
        role=str(ROLE_LABELS[role]),
        link=url_for("auth.accept_invitation", token=token, _external=True),
    )
    audit.record(actor, "invitation.sent", invitation, email=email, role=role,
                 partnership_id=partnership.id, partnership=partnership.name,
                 replaced=[old.id for old in replaced])
    return invitation


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    """Withdraw an invitation that has not been used yet, so its link stops working."""
    access.require_partnership_manager(actor, invitation.partnership)
    done = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise DomainError(str(_l("That invitation has already been accepted or withdrawn.")))
    db.session.refresh(invitation)
    audit.record(actor, "invitation.revoked", invitation, email=invitation.email,
                 role=invitation.role, partnership_id=invitation.partnership_id)


@dataclass
class LinkCheck:
    """What a link leads to: the invitation (when genuine) and why it cannot be used, if so."""

    invitation: Invitation | None
    problem: str | None = None


def check_link(token: str) -> LinkCheck:
    """Follow an invitation link: is it genuine, current, unused and not withdrawn?"""
    serializer = _serializer()
    try:
        payload = serializer.loads(token, max_age=max_age())
        expired = False
    except SignatureExpired as error:
        # Genuine but too old: still find the invitation, to say who can send a new one.
        try:
            payload = serializer.load_payload(error.payload)
        except BadSignature:
            return LinkCheck(None, TAMPERED)
        expired = True
    except BadSignature:
        return LinkCheck(None, TAMPERED)
    invitation = _find(payload)
    if invitation is None:
        return LinkCheck(None, TAMPERED)
    if invitation.accepted_at is not None:
        return LinkCheck(invitation, USED)
    if invitation.revoked_at is not None:
        newer = db.session.scalars(select(Invitation.id).where(
            Invitation.partnership_id == invitation.partnership_id,
            Invitation.email == invitation.email, Invitation.id > invitation.id)).first()
        return LinkCheck(invitation, REPLACED if newer else REVOKED)
    if expired or invitation.expires_at <= utcnow():
        return LinkCheck(invitation, EXPIRED)
    return LinkCheck(invitation)


def _find(payload) -> Invitation | None:
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        return None
    invitation = db.session.get(Invitation, payload[0])
    if invitation is None or not hmac.compare_digest(invitation.nonce_hash, _hash(payload[1])):
        return None
    return invitation


def accept(invitation: Invitation, user: User) -> User:
    """Use the invitation: `user` gets the role in the partnership. Works once: the database
    refuses a second use even if two requests arrive together."""
    if user.email.lower() != invitation.email:
        raise DomainError(str(_l("This invitation was sent to a different email address.")))
    now = utcnow()
    done = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .values(accepted_at=now, accepted_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise DomainError(str(_l("This invitation can no longer be used.")))
    db.session.refresh(invitation)
    membership = next((m for m in user.memberships if m.partnership_id == invitation.partnership_id
                       and m.role == invitation.role), None)
    if membership is None:
        membership = Membership(council_id=invitation.council_id,
                                partnership_id=invitation.partnership_id, role=invitation.role)
        user.memberships.append(membership)
        db.session.flush()
    audit.record(user, "invitation.accepted", invitation, email=invitation.email,
                 role=invitation.role, partnership_id=invitation.partnership_id,
                 partnership=invitation.partnership.name)
    return user


def accept_with_new_account(invitation: Invitation, name: str, password: str) -> User:
    """Create the invited person's account, then accept the invitation as them."""
    user = accounts.register_user(invitation.email, name, password, invitation=invitation.id)
    return accept(invitation, user)


def accept_with_password(invitation: Invitation, password: str) -> User:
    """Check the invited person's password, then accept the invitation as them."""
    return accept(invitation, accounts.authenticate(invitation.email, password))


def open_invitations(partnership: Partnership) -> list[Invitation]:
    """Invitations of the partnership that are neither accepted nor withdrawn, newest first
    (some may have expired)."""
    return list(db.session.scalars(
        select(Invitation)
        .where(Invitation.partnership_id == partnership.id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())))


def now() -> datetime:
    """The clock this module uses, for templates that compare against expiry times."""
    return utcnow()
