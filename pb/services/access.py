"""Who may do what: one place for the rules, used by views and services alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..errors import NotAllowed
from ..models import Council, Partnership, Proposal, Round, User
from ..models.user import COUNCIL_ADMIN, MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER

ORGANISING_ROLES = {COUNCIL_ADMIN, ORGANISER}


def can_organise(user: User | None, round_: Round) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return bool(user.roles_for(round_.council_id, round_.partnership_id) & ORGANISING_ROLES)


def can_see_unpublished(user: User | None, round_: Round) -> bool:
    if user is None or not user.is_authenticated:
        return False
    roles = user.roles_for(round_.council_id, round_.partnership_id)
    return bool(roles & (ORGANISING_ROLES | {SCRUTINEER}))


# The audit log.
AUDIT_ROLES = ORGANISING_ROLES | {SCRUTINEER}


def reads_audit_log(user: User | None) -> bool:
    """Organisers, council administrators and scrutineers read (some of) the audit log."""
    if user is None or not user.is_authenticated:
        return False
    return any(m.role in AUDIT_ROLES for m in user.memberships)


def can_read_audit(user: User | None, council_id: int, partnership_id: int | None) -> bool:
    """Whether `user` reads the log's entries about a council's round, partnership or people
    (`partnership_id` None: the council as a whole, or a council-wide round)."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.roles_for(council_id, partnership_id) & AUDIT_ROLES)


def require_organiser(user: User | None, round_: Round) -> None:
    if not can_organise(user, round_):
        raise NotAllowed(str(_l("You do not organise this round.")))


def proposing_partnerships(user: User | None, round_: Round) -> list[Partnership]:
    """Partnerships on whose behalf `user` may propose projects in `round_`."""
    if user is None or not user.is_authenticated:
        return []
    eligible = [
        p
        for p in user.partnerships_with(MEMBER) + user.partnerships_with(ORGANISER)
        + user.partnerships_with(COUNCIL_ADMIN)
        if p.council_id == round_.council_id
        and (round_.partnership_id is None or round_.partnership_id == p.id)
    ]
    return sorted({p.id: p for p in eligible}.values(), key=lambda p: p.name)


def can_run_kiosk(user: User | None, round_: Round) -> bool:
    """Organisers of the round and its volunteers set up event devices for voting. Volunteers
    of any partnership of the council may help at a council-wide round's event."""
    if user is None or not user.is_authenticated:
        return False
    if can_organise(user, round_):
        return True
    if round_.partnership_id is not None:
        return VOLUNTEER in user.roles_for(round_.council_id, round_.partnership_id)
    return any(m.role == VOLUNTEER and m.council_id == round_.council_id
               for m in user.memberships)


# Delivery, after the vote.
REPORTING_ROLES = {COUNCIL_ADMIN, ORGANISER, MEMBER}


def can_report_delivery(user: User | None, proposal: Proposal) -> bool:
    """Organisers of the round, members and organisers of the proposing partnership, and the
    person who proposed it may report how a funded project is being delivered."""
    if user is None or not user.is_authenticated:
        return False
    if can_organise(user, proposal.round) or proposal.created_by_id == user.id:
        return True
    if proposal.partnership_id is None:
        return False
    roles = user.roles_for(proposal.round.council_id, proposal.partnership_id)
    return bool(roles & REPORTING_ROLES)


def require_delivery_reporter(user: User | None, proposal: Proposal) -> None:
    if not can_report_delivery(user, proposal):
        raise NotAllowed(str(_l("Only the project's partnership, its proposer or the round's "
                                "organisers can report on this project.")))


def can_download_monitoring(user: User | None, round_: Round) -> bool:
    """Organisers and scrutineers download the delivery monitoring of a round."""
    return can_see_unpublished(user, round_)


# Partnerships and their people.
def can_create_partnerships(user: User | None, council: Council) -> bool:
    """Council-wide organisers and council administrators set up the council's partnerships."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.roles_for(council.id, None) & ORGANISING_ROLES)


def can_manage_partnership(user: User | None, partnership: Partnership) -> bool:
    """Council-wide organisers, and the partnership's own organisers, manage a partnership."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.roles_for(partnership.council_id, partnership.id) & ORGANISING_ROLES)


def require_partnership_manager(user: User | None, partnership: Partnership) -> None:
    if not can_manage_partnership(user, partnership):
        raise NotAllowed(str(_l("You do not organise this partnership.")))
