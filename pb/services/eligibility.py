"""Who may vote without a code: by a link sent by email, or by giving a postcode.

An email credential stands for one email address in one round. Only an HMAC of the address
(keyed with the app's secret key and bound to the round) is kept, so the database alone cannot
say who voted, yet a second request from the same address finds the same credential.

The emailed link carries an itsdangerous token of the credential's id, a random nonce and the
postcode district; only a hash of the nonce is kept. A new request replaces the nonce, so the
older link stops working; following a link claims the nonce with a conditional UPDATE, so a
link starts at most one ballot even when opened twice at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError, Problems
from ..extensions import db
from ..models import Round, VoterCredential
from ..models.equality import PREFER_NOT, QUESTIONS, EqualityResponse
from ..models.types import utcnow
from . import mail, voting

SALT = "pb-vote-link"
DEFAULT_MAX_AGE = 24 * 60 * 60  # seconds

# A whole UK postcode: the outward code (area and district), then the inward code. The letters
# never used in each position are left out, so a letter O typed for a zero is caught.
UK_POSTCODE = re.compile(r"^([A-PR-UWYZ][A-HK-Y]?[0-9][0-9ABCDEFGHJKMNPRSTUVWXY]?) ?"
                         r"([0-9][ABD-HJLNP-UW-Z]{2})$")

# Why a link cannot be used; each has its own page.
TAMPERED = "tampered"
EXPIRED = "expired"
USED = "used"
REPLACED = "replaced"
VOTED = "voted"


def max_age() -> int:
    """How long a voting link works, in seconds: PB_VOTE_LINK_MAX_AGE, or 24 hours."""
    value = current_app.config.get("PB_VOTE_LINK_MAX_AGE")
    return int(DEFAULT_MAX_AGE if value is None else value)


# Checking who may vote -------------------------------------------------------------------------

def postcode_district(round_: Round, text: str | None, field: str = "postcode") -> str:
    """The outward code of a real-looking UK postcode in the round's area, or raise on `field`."""
    cleaned = " ".join((text or "").upper().split())
    match = UK_POSTCODE.match(cleaned) or UK_POSTCODE.match(cleaned.replace(" ", ""))
    if not match:
        raise DomainError(str(_l("Enter a full UK postcode, like SK11 6DA.")), field=field)
    district = match.group(1)
    allowed = round_.eligible_postcode_districts()
    if allowed and district not in allowed:
        raise DomainError(str(_l(
            "This vote is for people who live, work or study in the postcode districts "
            "%(districts)s. %(postcode)s is not in them.",
            districts=", ".join(allowed), postcode=f"{match.group(1)} {match.group(2)}")),
            field=field)
    return district


def declaration_problems(round_: Round, old_enough: bool, in_area: bool) -> list[DomainError]:
    """What the resident still has to confirm before voting."""
    problems = []
    if round_.min_age and not old_enough:
        problems.append(DomainError(str(_l("Confirm that you are at least %(age)s years old. "
                                           "If you are younger, you cannot vote in this round.",
                                           age=round_.min_age)), field="old_enough"))
    if round_.eligible_postcode_districts() and not in_area:
        problems.append(DomainError(str(_l("Confirm that you live, work or study in the area.")),
                                    field="in_area"))
    return problems


def _require_method(round_: Round, method: str) -> None:
    if not round_.is_voting_open:
        raise DomainError(voting.closed_message(round_))
    if not round_.uses(method):
        raise DomainError(str(_l("This round does not offer that way of voting.")))


def _check(round_: Round, problems: list[DomainError], postcode: str | None, old_enough: bool,
           in_area: bool) -> str | None:
    district = None
    try:
        district = postcode_district(round_, postcode)
    except DomainError as error:
        problems.append(error)
    problems.extend(declaration_problems(round_, old_enough, in_area))
    if problems:
        raise Problems(problems)
    return district


# Voting by email -------------------------------------------------------------------------------

def normalise_email(text: str | None) -> str:
    return (text or "").strip().lower()


def hash_key() -> bytes:
    """The key for hashes of personal data: derived from the secret key, so it is not the key
    that also signs cookies and links, and nobody without the secret key can recompute a hash
    from an address they guess."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(secret, b"pb-personal-data-hash-key-v1", hashlib.sha256).digest()


def email_hash(round_: Round, email: str) -> str:
    """The keyed hash kept in place of an email address: the same address and round, the same
    hash; without the secret key, no way back to the address."""
    message = f"pb-vote-email:{round_.id}:{normalise_email(email)}".encode("utf-8")
    return hmac.new(hash_key(), message, hashlib.sha256).hexdigest()


def _legacy_email_hash(round_: Round, email: str) -> str:
    """The hash made before the key was derived (keyed with the secret key itself): still
    looked up so that an address that asked before the change finds its credential. Remove
    once every round that was voting then has been purged."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    message = f"pb-vote-email:{round_.id}:{normalise_email(email)}".encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


class _Signer(TimestampSigner):
    """Signs with this module's clock, so that tests can move time forward."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_Signer)


def _email_credential(round_: Round, code_hash: str, legacy_hash: str) -> VoterCredential:
    """The round's credential for one email address, made on the first request."""
    found = db.session.scalars(select(VoterCredential).where(
        VoterCredential.code_hash.in_((code_hash, legacy_hash)))
        .order_by(VoterCredential.id)).first()
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            credential = VoterCredential(round_id=round_.id, kind="email", code_hash=code_hash)
            db.session.add(credential)
    except IntegrityError:  # the same address asked twice at the same moment
        return db.session.scalars(select(VoterCredential).where(
            VoterCredential.code_hash == code_hash)).one()
    return credential


def request_link(round_: Round, email: str | None, postcode: str | None, old_enough: bool = False,
                 in_area: bool = False) -> None:
    """Email a voting link to a resident who may vote, or tell them they already have.

    Whatever happens the resident is told to check their email, so the page never reveals
    whether an address has voted.
    """
    _require_method(round_, "email")
    email = normalise_email(email)
    problems: list[DomainError] = []
    if not mail.looks_like_email(email) or len(email) > 254:
        problems.append(DomainError(str(_l("Enter your email address, like name@example.org.")),
                                    field="email"))
    district = _check(round_, problems, postcode, old_enough, in_area)
    credential = _email_credential(round_, email_hash(round_, email),
                                   _legacy_email_hash(round_, email))
    if credential.kind != "email" or credential.round_id != round_.id:
        raise DomainError(str(_l("We could not send a link to that address.")), field="email")
    if credential.used_at is not None and not round_.allow_vote_change:
        mail.queue(email, _l("You have already voted in %(round)s", round=round_.title),
                   "vote_already", kind="vote.already_voted", round=round_,
                   receipt_link=url_for("vote.receipt", _external=True))
        return
    nonce = secrets.token_urlsafe(32)
    credential.link_nonce_hash = _nonce_hash(nonce)  # any older link stops working
    db.session.flush()
    token = _serializer().dumps([credential.id, nonce, district])
    mail.queue(email, _l("Your link to vote in %(round)s", round=round_.title), "vote_link",
               kind="vote.link", round=round_, hours=max(1, max_age() // 3600),
               changing=credential.used_at is not None,
               link=url_for("vote.email_link", slug=round_.slug, token=token, _external=True))


@dataclass
class LinkCheck:
    """Where a voting link leads: its credential and district, and why it cannot be used."""

    credential: VoterCredential | None
    district: str | None = None
    nonce: str | None = None
    problem: str | None = None


def check_link(round_: Round, token: str) -> LinkCheck:
    """Is a voting link genuine, for this round, current, and not used or replaced?"""
    serializer = _serializer()
    expired = False
    try:
        payload = serializer.loads(token, max_age=max_age())
    except SignatureExpired as error:
        try:
            payload = serializer.load_payload(error.payload)
        except BadSignature:
            return LinkCheck(None, problem=TAMPERED)
        expired = True
    except BadSignature:
        return LinkCheck(None, problem=TAMPERED)
    if not (isinstance(payload, list) and len(payload) == 3 and isinstance(payload[0], int)
            and isinstance(payload[1], str) and isinstance(payload[2], (str, type(None)))):
        return LinkCheck(None, problem=TAMPERED)
    credential_id, nonce, district = payload
    credential = db.session.get(VoterCredential, credential_id)
    if credential is None or credential.kind != "email" or credential.round_id != round_.id:
        return LinkCheck(None, problem=TAMPERED)
    check = LinkCheck(credential, district, nonce)
    if credential.link_nonce_hash is None:
        check.problem = USED
    elif not hmac.compare_digest(credential.link_nonce_hash, _nonce_hash(nonce)):
        check.problem = REPLACED
    elif expired:
        check.problem = EXPIRED
    elif credential.used_at is not None and not round_.allow_vote_change:
        check.problem = VOTED
    return check


def claim_link(round_: Round, token: str) -> LinkCheck:
    """Use a voting link: it works once. Returns the check; `problem` is set if it did not."""
    if not round_.is_voting_open:
        raise DomainError(voting.closed_message(round_))
    check = check_link(round_, token)
    if check.problem:
        return check
    claimed = db.session.execute(
        update(VoterCredential)
        .where(VoterCredential.id == check.credential.id,
               VoterCredential.link_nonce_hash == _nonce_hash(check.nonce))
        .values(link_nonce_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not claimed:  # opened twice at once, or replaced this very moment
        check.problem = USED
    return check


# Voting by postcode alone ----------------------------------------------------------------------

def postcode_credential(round_: Round, postcode: str | None, old_enough: bool = False,
                        in_area: bool = False) -> tuple[VoterCredential, str]:
    """A one-off credential for an open online vote, after the postcode and declarations."""
    _require_method(round_, "postcode")
    district = _check(round_, [], postcode, old_enough, in_area)
    return voting.one_off_credential(round_, "postcode"), district


# Equality monitoring ---------------------------------------------------------------------------

def record_equality(round_: Round, answers: dict[str, str | None]) -> EqualityResponse:
    """Keep one set of optional answers, with nothing that links it to a ballot or a person."""
    if not round_.equality_questions:
        raise DomainError(str(_l("This round does not ask these questions.")))
    values = {}
    for key, (_label, options) in QUESTIONS.items():
        answer = answers.get(key) or ""
        if answer and answer != PREFER_NOT and answer not in options:
            raise DomainError(str(_l("Choose one of the answers, or leave the question.")),
                              field=key)
        values[key] = answer
    return _store_shuffled(round_, values)


def _store_shuffled(round_: Round, values: dict[str, str]) -> EqualityResponse:
    """Add one set of answers at a random place among the round's answers.

    The answers are given just after the ballot, so rows stored in arrival order (a SQLite
    rowid, a PostgreSQL heap position) would line up with the ballots' ids. Each new row
    instead swaps its answers with a row chosen at random among the round's rows and itself
    (the "inside-out" Fisher-Yates shuffle), so the stored order is a uniformly random
    permutation of the order in which residents answered. The row chosen is locked, so two
    residents answering at once cannot both swap with it and lose a set of answers.
    """
    existing = db.session.scalar(select(func.count()).select_from(EqualityResponse)
                                 .where(EqualityResponse.round_id == round_.id)) or 0
    place = secrets.randbelow(existing + 1)
    if place < existing:
        other = db.session.scalars(
            select(EqualityResponse).where(EqualityResponse.round_id == round_.id)
            .order_by(EqualityResponse.id).offset(place).limit(1).with_for_update()).first()
        if other is not None:
            moved = {key: getattr(other, key) for key in QUESTIONS}
            for key, value in values.items():
                setattr(other, key, value)
            values = moved
    response = EqualityResponse(round_id=round_.id, **values)
    db.session.add(response)
    db.session.flush()
    return response
