"""After the vote: reporting how funded projects are delivered, the public progress of a round,
the monitoring councils download, and residents who follow the updates by email."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..errors import DomainError
from ..extensions import db
from ..text import clean_text
from ..models import DeliveryUpdate, Follower, Photo, Proposal, Round, User
from ..models.delivery import (FUNDED, MATCH_FUNDING_MAX, NOTE_MAX, OUTPUTS_MAX, STATUS_LABELS,
                               STATUSES)
from ..models.types import utcnow
from ..money import MAX_MINOR, format_money
from . import access, audit, mail, photos, tallying

# Spend may run over the award (it is shown as an overspend), but not beyond this: a figure
# that large is almost always a typing slip.
SPEND_LIMIT = (3, 2)  # numerator, denominator: 150% of the award


# --- Funded projects ---------------------------------------------------------------------------

def _awards(round_: Round) -> dict[int, int]:
    """{proposal id: award} for the funded projects of a published round, in result order."""
    if not round_.results_public:
        return {}
    result = tallying.latest_result(round_)
    if result is None:
        return {}
    awards: dict[int, int] = {}
    for row in result.data.get("projects", []):
        if row.get("selected"):
            try:
                awards[int(row["id"])] = int(row["award"])
            except (KeyError, TypeError, ValueError):
                continue
    return awards


def funded_projects(round_: Round) -> list[tuple[Proposal, int]]:
    """(proposal, award in pence) for each project funded in a published round."""
    awards = _awards(round_)
    if not awards:
        return []
    found = {p.id: p for p in db.session.scalars(
        select(Proposal).where(Proposal.round_id == round_.id, Proposal.id.in_(list(awards))))}
    return [(found[pid], award) for pid, award in awards.items() if pid in found]


def award_for(proposal: Proposal) -> int | None:
    """The award of a project funded in a published round; None for any other proposal."""
    return _awards(proposal.round).get(proposal.id)


# --- Recording an update -----------------------------------------------------------------------

@dataclass
class UpdateInput:
    """What the one short update form collects. Only status and spend are required."""

    status: str
    spent_to_date: int | None  # pence
    outputs: str = ""
    savings_per_year: int | None = None  # pence
    match_funding: str = ""
    note: str = ""
    photo: Any = None  # an uploaded file (werkzeug FileStorage), or None




def spend_limit(award: int) -> int:
    """The largest spend to date accepted for an award (150%, rounded down to the penny)."""
    return award * SPEND_LIMIT[0] // SPEND_LIMIT[1]


def record_update(user: User, proposal: Proposal, data: UpdateInput) -> DeliveryUpdate:
    """Record one delivery update for a funded project, and email the round's followers."""
    access.require_delivery_reporter(user, proposal)
    award = award_for(proposal)
    if award is None:
        raise DomainError(str(_l("Progress can only be reported for a project funded in a "
                                 "round whose results are published.")))
    currency = proposal.round.currency
    if data.status not in STATUSES:
        raise DomainError(str(_l("Choose how the project is going.")), field="status")
    spent = data.spent_to_date
    if spent is None:
        raise DomainError(str(_l("Enter how much has been spent so far. Enter 0 if nothing has "
                                 "been spent yet.")), field="spent_to_date")
    if spent < 0:
        raise DomainError(str(_l("The amount spent cannot be less than zero.")),
                          field="spent_to_date")
    if spent > spend_limit(award):
        raise DomainError(
            str(_l("That is more than one and a half times the %(award)s awarded. Check the "
                   "amount; if it is right, talk to the organisers.",
                   award=format_money(award, currency))),
            field="spent_to_date")
    savings = data.savings_per_year
    if savings is not None and not 0 <= savings < MAX_MINOR:
        raise DomainError(str(_l("Savings cannot be less than zero.")), field="savings_per_year")
    outputs, note, match_funding = (clean_text(data.outputs), clean_text(data.note),
                                    clean_text(data.match_funding))
    for value, limit, name in ((outputs, OUTPUTS_MAX, "outputs"), (note, NOTE_MAX, "note"),
                               (match_funding, MATCH_FUNDING_MAX, "match_funding")):
        if len(value) > limit:
            raise DomainError(str(_l("Keep this to %(n)s characters or fewer.", n=f"{limit:,}")),
                              field=name)
    photo = photos.store_upload(data.photo, field="photo", alt=proposal.title, user=user)
    update = DeliveryUpdate(proposal=proposal, author=user, status=data.status,
                            spent_to_date=spent, outputs=outputs, savings_per_year=savings,
                            match_funding=match_funding, note=note, photo=photo)
    db.session.add(update)
    db.session.flush()
    audit.record(user, "delivery.updated", proposal, update=update.id, status=update.status,
                 spent_to_date=spent, award=award, savings_per_year=savings,
                 photo=update.photo_id)
    _email_followers(proposal, update, award)
    return update


def _email_followers(proposal: Proposal, update: DeliveryUpdate, award: int) -> int:
    round_ = proposal.round
    followers = db.session.scalars(
        select(Follower).where(Follower.round_id == round_.id, Follower.confirmed_at.is_not(None),
                               Follower.unsubscribed_at.is_(None)).order_by(Follower.id))
    title = " ".join(proposal.title.split())  # one line: it goes into the Subject header
    sent = 0
    for follower in followers:
        mail.queue(follower.email, _l("Update on %(title)s", title=title), "delivery_update",
                   kind="delivery.updated", locale=follower.locale, round=round_, proposal=proposal, update=update,
                   award=award, token=follow_token(follower, STOP))
        sent += 1
    return sent


# --- Reading progress --------------------------------------------------------------------------

@dataclass
class ProjectProgress:
    """A funded project and its updates, newest first; its state is that of the latest."""

    proposal: Proposal
    award: int
    updates: list[DeliveryUpdate] = field(default_factory=list)

    @property
    def latest(self) -> DeliveryUpdate | None:
        return self.updates[0] if self.updates else None

    @property
    def status(self) -> str:
        return self.latest.status if self.latest else FUNDED

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def spent(self) -> int:
        return self.latest.spent_to_date if self.latest else 0

    @property
    def overspend(self) -> int:
        return max(0, self.spent - self.award)

    @property
    def outputs(self) -> str:
        return self.latest.outputs if self.latest else ""

    @property
    def savings_per_year(self) -> int | None:
        return self.latest.savings_per_year if self.latest else None

    @property
    def match_funding(self) -> str:
        return self.latest.match_funding if self.latest else ""

    @property
    def last_updated(self) -> datetime | None:
        return self.latest.created_at if self.latest else None

    @property
    def latest_photo(self) -> Photo | None:
        """The most recent photo sent with any update."""
        return next((u.photo for u in self.updates if u.photo_id is not None), None)


@dataclass
class RoundProgress:
    round: Round
    projects: list[ProjectProgress]

    @property
    def awarded(self) -> int:
        return sum(p.award for p in self.projects)

    @property
    def spent(self) -> int:
        return sum(p.spent for p in self.projects)

    @property
    def counts(self) -> dict[str, int]:
        """How many projects are at each status, every status present."""
        counts = dict.fromkeys(STATUSES, 0)
        for project in self.projects:
            counts[project.status] += 1
        return counts

    @property
    def savings_per_year(self) -> int:
        return sum(p.savings_per_year or 0 for p in self.projects)

    @property
    def last_updated(self) -> datetime | None:
        return max((p.last_updated for p in self.projects if p.last_updated), default=None)


def project_progress(proposal: Proposal) -> ProjectProgress | None:
    """One funded project's progress, or None when it was not funded in a published round."""
    award = award_for(proposal)
    if award is None:
        return None
    return ProjectProgress(proposal, award, _updates([proposal.id]).get(proposal.id, []))


def progress(round_: Round) -> RoundProgress:
    """Where the money of a published round went: each funded project and its latest state."""
    funded = funded_projects(round_)
    updates = _updates([p.id for p, _ in funded])
    return RoundProgress(round_, [ProjectProgress(p, award, updates.get(p.id, []))
                                  for p, award in funded])


def _updates(proposal_ids: list[int]) -> dict[int, list[DeliveryUpdate]]:
    """Updates per proposal, newest first; photos load without their bytes."""
    if not proposal_ids:
        return {}
    grouped: dict[int, list[DeliveryUpdate]] = {}
    for update in db.session.scalars(
        select(DeliveryUpdate)
        .where(DeliveryUpdate.proposal_id.in_(proposal_ids))
        .options(selectinload(DeliveryUpdate.author),
                 selectinload(DeliveryUpdate.photo).load_only(Photo.id, Photo.width,
                                                              Photo.height, Photo.alt))
        .order_by(DeliveryUpdate.id.desc())
    ):
        grouped.setdefault(update.proposal_id, []).append(update)
    return grouped


# --- Monitoring for councils -------------------------------------------------------------------

@dataclass
class MonitoringRow:
    """One funded project, in the columns councils already use. Money in pence."""

    service: str
    provider: str
    area: str
    category: str
    outcomes: str
    award: int
    cost_to_deliver: int
    how_funded: str
    savings_per_year: int | None
    status: str
    last_update: datetime | None


def monitoring_rows(round_: Round) -> list[MonitoringRow]:
    """The round's funded projects as monitoring rows, in the order of the result."""
    funded_by = str(_l("Participatory budgeting: %(round)s", round=round_.title))
    rows = []
    for project in progress(round_).projects:
        p = project.proposal
        how_funded = funded_by + (f"; {project.match_funding}" if project.match_funding else "")
        rows.append(MonitoringRow(
            service=p.title, provider=p.proposer_name or (p.partnership.name if p.partnership else ""),
            area=p.area.name if p.area else "", category=p.category_label,
            outcomes=project.outputs, award=project.award, cost_to_deliver=project.spent,
            how_funded=how_funded, savings_per_year=project.savings_per_year,
            status=project.status_label, last_update=project.last_updated))
    return rows


# --- Following a round by email ----------------------------------------------------------------

CONFIRM = "confirm"
STOP = "stop"
CONFIRM_DAYS = 7
RESEND_AFTER = timedelta(minutes=10)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="pb-follow")


def follow_token(follower: Follower, action: str) -> str:
    """A signed token for a link in an email: confirm following, or stop the emails."""
    return _serializer().dumps({"f": follower.id, "e": _email_check(follower.email), "a": action})


def _email_check(address: str) -> str:
    """Ties a link to the address it was sent to, without putting the address in the URL
    (where server logs would keep it)."""
    return hashlib.sha256(address.encode()).hexdigest()[:16]


def follower_from_token(token: str, action: str) -> Follower:
    """The follower a link was made for; DomainError when it is forged, for another action or,
    for a confirmation, older than CONFIRM_DAYS. Links to stop the emails never expire."""
    bad = DomainError(str(_l("This link is not right or has run out. Ask for updates again on "
                             "the progress page.")))
    try:
        data = _serializer().loads(
            token, max_age=CONFIRM_DAYS * 24 * 3600 if action == CONFIRM else None)
    except BadData as error:
        raise bad from error
    if not isinstance(data, dict) or data.get("a") != action or not isinstance(data.get("f"), int):
        raise bad
    follower = db.session.get(Follower, data["f"])
    if follower is None or not hmac.compare_digest(_email_check(follower.email),
                                                   str(data.get("e", ""))):
        raise bad
    return follower


# Something @ something . something, with nothing that has no place in an address.
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+\.[^\s@<>()\[\],;:\"\\.]+")


def normalise_email(text: str | None) -> str:
    return clean_text(text).lower()


def follow(round_: Round, email: str) -> Follower:
    """Ask for a round's delivery updates: email a link to confirm (double opt-in).

    Asking again never makes a second follower; a confirmed follower is sent nothing new, and a
    pending one is sent the link again at most once every ten minutes.
    """
    if not round_.results_public:
        raise DomainError(str(_l("You can follow a round once its results are published.")),
                          field="email")
    address = normalise_email(email)
    if not address:
        raise DomainError(str(_l("Enter your email address.")), field="email")
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise DomainError(str(_l("Enter an email address like name@example.org.")), field="email")
    follower = _follower(round_, address)
    if follower.receives_updates:
        return follower
    if follower.unsubscribed_at is not None:
        follower.unsubscribed_at = None
        follower.confirmed_at = None
    now = utcnow()
    if follower.confirmation_sent_at is not None and now - follower.confirmation_sent_at < RESEND_AFTER:
        return follower
    follower.confirmation_sent_at = now
    follower.locale = mail.current_language()
    db.session.flush()
    mail.queue(address, _l("Confirm you want updates on %(round)s", round=round_.title),
               "follow_confirm", kind="follow.confirm", locale=follower.locale, round=round_,
               token=follow_token(follower, CONFIRM), days=CONFIRM_DAYS)
    return follower


def _follower(round_: Round, address: str) -> Follower:
    def existing() -> Follower | None:
        return db.session.scalars(select(Follower).where(
            Follower.round_id == round_.id, Follower.email == address)).first()

    found = existing()
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            found = Follower(round=round_, email=address)
            db.session.add(found)
    except IntegrityError:  # the same address, asked for at the same moment
        found = existing()
    return found


def confirm_follow(follower: Follower) -> None:
    """Start sending updates to a follower who followed the link we emailed."""
    if follower.confirmed_at is None:
        follower.confirmed_at = utcnow()
    follower.unsubscribed_at = None


def unfollow(follower: Follower) -> None:
    """Stop sending updates to this follower."""
    if follower.unsubscribed_at is None:
        follower.unsubscribed_at = utcnow()
