"""Voting codes and casting ballots, exactly once per code."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError, Problems
from ..extensions import db
from ..models import Ballot, BallotChoice, CodeBatch, Proposal, Round, User, VoterCredential
from ..models.proposal import SHORTLISTED
from ..models.round import BEFORE_VOTING
from ..models.types import utcnow
from ..models.voting import CHANNELS
from . import access, audit, ballots

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


def _code_key() -> bytes:
    """A key for voting codes alone, derived from SECRET_KEY: the database without the key
    gives no way to test guesses offline."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode("utf-8")
    return hmac.new(secret, b"pb voting codes v1", hashlib.sha256).digest()


def code_hash(code: str) -> str:
    """How a code is stored: HMAC-SHA256 under the codes' key."""
    message = f"pb-code:{normalise_code(code)}".encode()
    return hmac.new(_code_key(), message, hashlib.sha256).hexdigest()


def legacy_code_hash(code: str) -> str:
    """How codes issued before the keyed hash were stored: plain SHA-256. Still accepted."""
    return hashlib.sha256(f"pb-code:{normalise_code(code)}".encode()).hexdigest()


def _matching(credentials, code: str) -> VoterCredential | None:
    """The credential whose stored hash is this code's, compared in constant time."""
    wanted = (code_hash(code), legacy_code_hash(code))
    for credential in credentials:
        if any(hmac.compare_digest(credential.code_hash, h) for h in wanted):
            return credential
    return None


def issue_codes(user: User | None, round_: Round, count: int, batch: str = "",
                into: CodeBatch | None = None) -> list[str]:
    """Create `count` single-use codes for a round; only their hashes are stored.

    The codes go into the batch `into`, or a new batch labelled `batch`.
    """
    if user is not None:
        access.require_organiser(user, round_)
    if not round_.uses("codes"):
        raise DomainError(str(_l("This round does not use voting codes. Add them in the round’s "
                                 "settings before voting opens.")), field="count")
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise DomainError(
            str(_l("Choose between 1 and %(n)s codes.", n=f"{MAX_CODES_PER_BATCH:,}")), field="count"
        )
    if into is None:
        into = CodeBatch(round_id=round_.id, label=batch, count=count,
                         created_by_id=user.id if user is not None else None)
        db.session.add(into)
        db.session.flush()
    codes = [new_code() for _ in range(count)]
    db.session.add_all(
        VoterCredential(round_id=round_.id, code_hash=code_hash(c), batch=into.label,
                        batch_id=into.id) for c in codes
    )
    db.session.flush()
    audit.record(user, "codes.issued", round_, count=count, batch=into.label, batch_id=into.id)
    return codes


# Credentials a resident can bring back to vote again (where the round allows it). Kiosk,
# postcode and paper credentials are made for one ballot and never come back.
CHANGEABLE_KINDS = ("code", "email")


def may_change_vote(credential: VoterCredential) -> bool:
    return credential.round.allow_vote_change and credential.kind in CHANGEABLE_KINDS


def find_credential(code: str, round_: Round | None = None) -> VoterCredential:
    """Return the credential for a voting code that may still vote, or raise on `code`.

    A used code may vote again only where the round lets residents change their vote.
    """
    if len(normalise_code(code)) != CODE_LENGTH:
        raise DomainError(
            str(_l("Enter the 10-character code from your voting card, like ABCDE-12345.")),
            field="code",
        )
    credential = _matching(db.session.scalars(
        select(VoterCredential).where(
            VoterCredential.code_hash.in_([code_hash(code), legacy_code_hash(code)]),
            VoterCredential.kind == "code")
    ).all(), code)
    if credential is None or (round_ is not None and credential.round_id != round_.id):
        raise DomainError(
            str(_l("We do not recognise that code. Check it against your card and try again.")),
            field="code",
        )
    if not credential.round.is_voting_open:
        raise DomainError(closed_message(credential.round), field="code")
    if credential.used_at is not None and not credential.round.allow_vote_change:
        raise DomainError(str(_l("That code has already been used to vote. If you voted, you can "
                                 "check your vote with your receipt code. If you did not, ask the "
                                 "organisers for help.")), field="code")
    return credential


def closed_message(round_: Round) -> str:
    if round_.status in BEFORE_VOTING:
        return str(_l("Voting in %(round)s has not opened yet.", round=round_.title))
    return str(_l("Voting in %(round)s has closed.", round=round_.title))


def one_off_credential(round_: Round, kind: str) -> VoterCredential:
    """A credential for exactly one ballot: a kiosk voter, an open online vote, a paper ballot.

    Made when the ballot is started, so that sending the same ballot twice (a double tap, a
    resubmitted form) still gives one ballot.
    """
    credential = VoterCredential(round_id=round_.id, kind=kind,
                                 code_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest())
    db.session.add(credential)
    db.session.flush()
    return credential


def ballot_projects(round_: Round, details: bool = False) -> list[Proposal]:
    """The projects on the ballot, in title order.

    With `details`, their cost lines, area and photo come in the same few queries, for a page
    that shows them (not one query per project).
    """
    query = (select(Proposal)
             .where(Proposal.round_id == round_.id, Proposal.status == SHORTLISTED)
             .order_by(Proposal.title, Proposal.id))
    if details:
        query = query.options(selectinload(Proposal.cost_lines), joinedload(Proposal.area),
                              joinedload(Proposal.photo))
    return list(db.session.scalars(query).unique())


def rules_for(round_: Round, projects: list[Proposal] | None = None) -> ballots.BallotRules:
    projects = ballot_projects(round_) if projects is None else projects
    return ballots.BallotRules.for_round(round_, len(projects))


def new_receipt() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def cast_ballot(credential_id: int, marks: Iterable[tuple[int, int]] | Iterable[int], *,
                channel: str = "online", assisted: bool = False,
                district: str | None = None, projects: list[Proposal] | None = None) -> Ballot:
    """Record one ballot for a credential, checked against the round's ballot rules.

    `marks` are (proposal id, value) pairs (see pb.services.ballots); bare ids mean a tick.
    The credential is claimed with a conditional UPDATE, and a unique index allows one counted
    ballot per credential, so concurrent submissions of one credential yield one ballot. Where
    the round allows it, a later ballot replaces the earlier one: the old one is marked
    superseded in the same transaction.
    Raises DomainError (field "code" when the credential cannot vote) or Problems.
    """
    credential = db.session.get(VoterCredential, credential_id)
    if credential is None:
        raise DomainError(str(_l("We do not recognise that code.")), field="code")
    round_ = credential.round
    if not round_.is_voting_open:
        raise DomainError(closed_message(round_), field="code")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    marks = [m if isinstance(m, tuple) else (int(m), 1) for m in marks]
    if projects is None:
        projects = ballot_projects(round_)
    problems = ballots.check(rules_for(round_, projects), projects, marks)
    if problems:
        raise Problems([DomainError(message, field=fid) for fid, message in problems])
    claimed = db.session.execute(
        update(VoterCredential)
        .where(VoterCredential.id == credential_id, VoterCredential.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount == 1
    if not claimed:
        if not may_change_vote(credential):
            db.session.rollback()
            raise DomainError(str(_l("That code has already been used to vote.")), field="code")
        # Lock the credential (a write that changes nothing) so that changes of one vote go
        # in one at a time, in the order they commit; then retire the ballot that counted.
        db.session.execute(update(VoterCredential).where(VoterCredential.id == credential_id)
                           .values(used_at=VoterCredential.used_at))
        db.session.execute(
            update(Ballot)
            .where(Ballot.credential_id == credential_id, Ballot.superseded_at.is_(None))
            .values(superseded_at=utcnow())
        )
    now = utcnow()  # taken while holding the credential, so later ballots have later times
    ballot = Ballot(round_id=round_.id, credential_id=credential_id, receipt=new_receipt(),
                    channel=channel, assisted=bool(assisted), district=district, cast_at=now)
    ballot.choices = [BallotChoice(proposal_id=pid, position=i, value=value)
                      for i, (pid, value) in enumerate(marks)]
    db.session.add(ballot)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(str(_l("That code has already been used to vote.")), field="code")
    return ballot


def find_receipt(receipt: str) -> Ballot | None:
    """The ballot with a receipt code (it may have been replaced by a later one: see .counts)."""
    cleaned = normalise_code(receipt)
    formatted = f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}"
    return db.session.scalars(select(Ballot).where(Ballot.receipt == formatted)).first()
