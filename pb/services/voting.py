"""Voting codes and casting ballots, exactly once per code."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError
from ..extensions import db
from ..models import Ballot, BallotChoice, Proposal, Round, User, VoterCredential
from ..models.proposal import SHORTLISTED
from ..models.types import utcnow
from ..money import format_money
from . import access, audit

# Crockford's base 32: no I, L, O or U, so codes read aloud and typed by hand survive.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 50 bits of randomness
MAX_CODES_PER_BATCH = 5000


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(text: str | None) -> str:
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def code_hash(code: str) -> str:
    return hashlib.sha256(f"pb-code:{normalise_code(code)}".encode()).hexdigest()


def issue_codes(user: User | None, round_: Round, count: int, batch: str = "") -> list[str]:
    """Create `count` single-use codes for a round; only their hashes are stored."""
    if user is not None:
        access.require_organiser(user, round_)
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise DomainError(
            str(_l("Choose between 1 and %(n)s codes.", n=f"{MAX_CODES_PER_BATCH:,}")), field="count"
        )
    codes = [new_code() for _ in range(count)]
    db.session.add_all(
        VoterCredential(round_id=round_.id, code_hash=code_hash(c), batch=batch) for c in codes
    )
    db.session.flush()
    audit.record(user, "codes.issued", round_, count=count, batch=batch)
    return codes


def find_credential(code: str, round_: Round | None = None) -> VoterCredential:
    """Return the unused credential for a code, or raise DomainError on the `code` field."""
    if len(normalise_code(code)) != CODE_LENGTH:
        raise DomainError(
            str(_l("Enter the 10-character code from your voting card, like ABCDE-12345.")),
            field="code",
        )
    credential = db.session.scalars(
        select(VoterCredential).where(VoterCredential.code_hash == code_hash(code))
    ).first()
    if credential is None or (round_ is not None and credential.round_id != round_.id):
        raise DomainError(
            str(_l("We do not recognise that code. Check it against your card and try again.")),
            field="code",
        )
    if credential.used_at is not None:
        raise DomainError(str(_l("That code has already been used to vote. If you voted, you can "
                                 "check your vote with your receipt code. If you did not, ask the "
                                 "organisers for help.")), field="code")
    if not credential.round.is_voting_open:
        raise DomainError(
            str(_l("Voting in %(round)s is not open.", round=credential.round.title)), field="code"
        )
    return credential


def ballot_projects(round_: Round) -> list[Proposal]:
    """The projects on the ballot, in title order."""
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.round_id == round_.id, Proposal.status == SHORTLISTED)
            .order_by(Proposal.title, Proposal.id)
        )
    )


def validate_choices(round_: Round, proposal_ids: Iterable[int | str],
                     projects: list[Proposal] | None = None) -> list[Proposal]:
    """Check an approval ballot: known projects, no repeats, within the limits and the pot.

    `projects` is the ballot if the caller has already loaded it.
    """
    on_ballot = {p.id: p for p in (ballot_projects(round_) if projects is None else projects)}
    chosen: list[Proposal] = []
    for raw in proposal_ids:
        try:
            pid = int(raw)
        except (TypeError, ValueError):
            pid = -1
        if pid not in on_ballot:
            raise DomainError(str(_l("One of the projects you chose is not on this ballot.")),
                              field="projects")
        if on_ballot[pid] not in chosen:
            chosen.append(on_ballot[pid])
    settings = round_.ballot_settings or {}
    minimum = int(settings.get("min_choices", 1))
    maximum = settings.get("max_choices")
    if len(chosen) < minimum:
        raise DomainError(
            str(_l("Choose at least one project.")) if minimum == 1
            else str(_l("Choose at least %(n)s projects.", n=minimum)),
            field="projects",
        )
    if maximum is not None and len(chosen) > int(maximum):
        raise DomainError(str(_l("Choose no more than %(n)s projects.", n=maximum)),
                          field="projects")
    total = sum(p.cost for p in chosen)
    limit = int(settings.get("budget_limit", round_.pot))
    if total > limit:
        raise DomainError(
            str(_l("Your choices add up to %(total)s, which is %(over)s more than the %(limit)s "
                   "available. Remove a project or choose cheaper ones.",
                   total=format_money(total, round_.currency),
                   over=format_money(total - limit, round_.currency),
                   limit=format_money(limit, round_.currency))),
            field="projects",
        )
    return chosen


def new_receipt() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def cast_ballot(credential_id: int, proposal_ids: Iterable[int | str], channel: str = "online") -> Ballot:
    """Record one ballot for a credential; a used credential can never vote again.

    The credential is claimed with a conditional UPDATE and the ballot table has a unique
    constraint on the credential, so concurrent submissions of one code yield one ballot.
    """
    credential = db.session.get(VoterCredential, credential_id)
    if credential is None:
        raise DomainError(str(_l("We do not recognise that code.")), field="code")
    round_ = credential.round
    if not round_.is_voting_open:
        raise DomainError(str(_l("Voting in %(round)s has closed.", round=round_.title)))
    chosen = validate_choices(round_, proposal_ids)
    claimed = db.session.execute(
        update(VoterCredential)
        .where(VoterCredential.id == credential_id, VoterCredential.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise DomainError(str(_l("That code has already been used to vote.")), field="code")
    ballot = Ballot(round_id=round_.id, credential_id=credential_id, receipt=new_receipt(),
                    channel=channel)
    ballot.choices = [BallotChoice(proposal_id=p.id, position=i, value=1)
                      for i, p in enumerate(chosen)]
    db.session.add(ballot)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(str(_l("That code has already been used to vote.")), field="code")
    return ballot


def find_receipt(receipt: str) -> Ballot | None:
    cleaned = normalise_code(receipt)
    formatted = f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}"
    return db.session.scalars(select(Ballot).where(Ballot.receipt == formatted)).first()
