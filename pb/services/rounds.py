"""A round's life: open voting, close and count, publish."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..errors import DomainError
from ..extensions import db
from ..models import Ballot, Proposal, Round, TallyResult, User
from ..models.proposal import APPROVED
from . import access, audit, tallying


def open_voting(user: User | None, round_: Round) -> None:
    """Open voting; the ballot is fixed from now on."""
    if user is not None:
        access.require_organiser(user, round_)
    on_ballot = db.session.scalar(
        select(func.count()).select_from(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.status == APPROVED)
    )
    if not on_ballot:
        raise DomainError(str(_l("Approve at least one proposal before opening voting.")))
    round_.open_voting(seed=secrets.token_hex(8))
    audit.record(user, "round.voting_opened", round_, projects=on_ballot,
                 ballot_type=round_.ballot_type, rule=round_.rule,
                 rule_settings=round_.rule_settings, tie_break=round_.tie_break,
                 seed=round_.tie_break_seed)


def close_voting(user: User | None, round_: Round) -> TallyResult:
    """Close voting and count the ballots; results stay with staff until published."""
    if user is not None:
        access.require_organiser(user, round_)
    round_.close_voting()
    result = tallying.tally_round(round_)
    audit.record(user, "round.voting_closed", round_, ballots=result.ballot_count,
                 spent=result.spent, ballots_sha256=result.ballots_sha256)
    return result


def publish_results(user: User | None, round_: Round) -> None:
    """Make the counted result public."""
    if user is not None:
        access.require_organiser(user, round_)
    if tallying.latest_result(round_) is None:
        raise DomainError(str(_l("There is no count to publish yet.")))
    round_.publish()
    audit.record(user, "round.results_published", round_)


def ballot_count(round_: Round) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Ballot).where(Ballot.round_id == round_.id)
    ) or 0
