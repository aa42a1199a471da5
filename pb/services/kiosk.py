"""Attended voting at an event: a volunteer sets up a phone or tablet for one round, and each
resident who comes to it gets a fresh ballot."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from ..errors import DomainError, NotAllowed
from ..models import Round, User, VoterCredential
from ..models.types import utcnow
from . import access, audit, voting

IDLE = timedelta(seconds=90)


def start_kiosk(user: User, round_: Round) -> dict:
    """Check that `user` may run a kiosk for the round; return the device's kiosk state."""
    if not access.can_run_kiosk(user, round_):
        raise NotAllowed(str(_l("Only the round's organisers and volunteers can set up a "
                                "device for voting at an event.")))
    if not round_.uses("kiosk"):
        raise DomainError(str(_l("This round does not take votes at events. An organiser can "
                                 "add that in the round's settings before voting opens.")))
    if not round_.is_voting_open:
        raise DomainError(voting.closed_message(round_))
    device = secrets.token_hex(4).upper()
    audit.record(user, "kiosk.started", round_, device=device)
    return {"round": round_.id, "device": device, "volunteer": user.id}


def new_kiosk_voter(round_: Round) -> VoterCredential:
    """A credential for the next resident at the kiosk: one ballot, however often it is sent."""
    if not round_.is_voting_open:
        raise DomainError(voting.closed_message(round_))
    return voting.one_off_credential(round_, "kiosk")


def is_idle(last_seen: str | None, now: datetime | None = None) -> bool:
    """Whether the kiosk has been left alone long enough to clear the ballot on it."""
    if not last_seen:
        return False
    try:
        seen = datetime.fromisoformat(last_seen)
    except (TypeError, ValueError):
        return True
    return (now or utcnow()) - seen > IDLE
