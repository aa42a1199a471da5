"""Keeping residents' personal data only as long as a round needs it, then deleting it.

Where personal data lives, and what happens to it:

- `voter_credentials` of kind "email": a keyed hash (HMAC, key derived from the secret key) of
  an address, bound to the round, and a hash of the nonce of the one voting link that still
  works. Needed while voting is open, so an address cannot vote twice. Deleted by the purge.
- `voter_credentials` of kind "postcode": made afresh for each ballot (random hash); the
  postcode itself is never stored, only its outward part on the ballot. Deleted by the purge.
- `ballots.credential_id`: the one link from a ballot to what let it in (a card code that may
  have been posted to an address, or an email hash). Needed while voting is open (one ballot
  per credential, changing a vote). Set to NULL by the purge, so no ballot leads anywhere.
  Ballots keep their choices, channel, assisted flag, postcode district and receipt: nothing
  that names a person. Their times are rounded down to the hour, so they cannot be matched
  against the times in mail or web server logs.
- `equality_responses`: optional answers with a random key, no time, no credential, no ballot,
  stored in shuffled order (see eligibility.record_equality). The totals by question are kept
  on the round (so the published totals do not change); the answers are deleted.
- `outbox` rows about voting (a link, "you have already voted"): the address and the link are
  blanked once sent; any left (never sent) are deleted by the purge.
- `followers` (email addresses asking for delivery updates): the resident asked for these
  beyond the vote, so confirmed followers stay while projects are being delivered; the purge
  deletes followers who never confirmed or who unsubscribed, and everyone once every funded
  project is delivered or withdrawn.
- `proposals.contact`: the proposer's contact details. Kept for funded projects (the council
  works with them on delivery); cleared by the purge on every other proposal.

Not purged, by design: staff accounts (`users`), `invitations` of staff, `audit_entries`
(hash-chained, so deleting would break the chain; they hold staff emails, never a resident's
vote), `paper_entries` (transcribed paper ballots, keyed by staff), photos (re-encoded on
upload, which drops camera metadata such as location).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select, text, update

from ..extensions import db
from ..models import (Ballot, EqualityResponse, Follower, OutgoingEmail, Proposal, Round,
                      VoterCredential)
from ..models.delivery import DELIVERED, WITHDRAWN
from ..models.equality import QUESTIONS
from ..models.types import utcnow
from . import audit, delivery

# Credentials that stand for an email address or a postcode; code, kiosk, paper and imported
# credentials are kept (they say how many cards were used), unlinked from their ballots.
PERSONAL_CREDENTIAL_KINDS = ("email", "postcode")


@dataclass
class Purge:
    """What the purge of one round deleted (or, in a dry run, would delete)."""

    round: Round
    first: bool  # the round's personal data had not been purged before
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def due_rounds(now: datetime, slug: str | None = None) -> list[Round]:
    """Rounds whose retention period has ended by `now` (purged before or not), by id."""
    query = select(Round).order_by(Round.id)
    if slug is not None:
        query = query.where(Round.slug == slug)
    return [r for r in db.session.scalars(query)
            if r.personal_data_due_at is not None and r.personal_data_due_at <= now]


def purge(now: datetime | None = None, slug: str | None = None,
          dry_run: bool = False) -> list[Purge]:
    """Delete the personal data of every round past its retention period.

    Safe to run again and again (from cron, daily): a round is purged in full once, and later
    runs only delete followers who have since unsubscribed. The anonymised ballots and their
    choices stay, so the result and any recount are unchanged. Each round with anything
    deleted gets an audit entry with the counts. A dry run counts and changes nothing.
    The caller commits (or, for a dry run, rolls back).
    """
    now = now or utcnow()
    if not dry_run and db.session.get_bind().dialect.name == "postgresql":
        # Two runs at once (cron and a person) take turns: the second finds the work done.
        db.session.execute(text("SELECT pg_advisory_xact_lock(4242002)"))
    done = []
    for round_ in due_rounds(now, slug):
        result = _purge_round(round_, now, dry_run)
        if result.first or result.total:
            done.append(result)
    return done


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _purge_round(round_: Round, now: datetime, dry_run: bool) -> Purge:
    result = Purge(round_, first=round_.personal_data_purged_at is None)
    counts = result.counts
    followers = _followers_to_delete(round_)
    counts["followers"] = _count(select(Follower.id).where(*followers))
    if result.first:
        ballots = select(Ballot.id).where(Ballot.round_id == round_.id,
                                          Ballot.credential_id.is_not(None))
        credentials = (VoterCredential.round_id == round_.id,
                       VoterCredential.kind.in_(PERSONAL_CREDENTIAL_KINDS))
        outbox = (OutgoingEmail.round_id == round_.id,)
        contacts = _contacts_to_clear(round_)
        counts["equality_answers"] = _count(
            select(EqualityResponse.id).where(EqualityResponse.round_id == round_.id))
        counts["ballots_unlinked"] = _count(ballots)
        counts["credentials"] = _count(select(VoterCredential.id).where(*credentials))
        counts["emails"] = _count(select(OutgoingEmail.id).where(*outbox))
        counts["proposer_contacts"] = _count(select(Proposal.id).where(*contacts))
    if dry_run:
        return result
    if counts["followers"]:
        db.session.execute(delete(Follower).where(*followers)
                           .execution_options(synchronize_session=False))
    if result.first:
        _keep_equality_totals(round_)
        db.session.execute(delete(EqualityResponse).where(EqualityResponse.round_id == round_.id)
                           .execution_options(synchronize_session=False))
        # Unlink first: the ballots point at the credentials about to go.
        db.session.execute(update(Ballot).where(Ballot.round_id == round_.id)
                           .values(credential_id=None).execution_options(synchronize_session=False))
        _round_ballot_times(round_)
        db.session.execute(delete(VoterCredential).where(*credentials)
                           .execution_options(synchronize_session=False))
        db.session.execute(update(VoterCredential).where(VoterCredential.round_id == round_.id)
                           .values(link_nonce_hash=None)
                           .execution_options(synchronize_session=False))
        db.session.execute(delete(OutgoingEmail).where(*outbox)
                           .execution_options(synchronize_session=False))
        db.session.execute(update(Proposal).where(*contacts).values(contact="")
                           .execution_options(synchronize_session=False))
        round_.personal_data_purged_at = now
    db.session.flush()
    db.session.expire_all()  # the bulk statements changed rows the session may hold
    if not (result.first or result.total):
        return result
    audit.record(None, "round.personal_data_purged", round_,
                 retention_days=round_.personal_data_retention_days, first=result.first,
                 **counts)
    return result


def _followers_to_delete(round_: Round) -> tuple:
    """Followers who never confirmed or who unsubscribed; everyone once delivery is over."""
    if _delivery_finished(round_):
        return (Follower.round_id == round_.id,)
    return (Follower.round_id == round_.id,
            or_(Follower.confirmed_at.is_(None), Follower.unsubscribed_at.is_not(None)))


def _delivery_finished(round_: Round) -> bool:
    """Every funded project's latest update says it was delivered or withdrawn."""
    projects = delivery.progress(round_).projects
    return bool(projects) and all(p.status in (DELIVERED, WITHDRAWN) for p in projects)


def _contacts_to_clear(round_: Round) -> tuple:
    funded = [p.id for p, _award in delivery.funded_projects(round_)]
    return (Proposal.round_id == round_.id, Proposal.contact != "",
            Proposal.id.not_in(funded) if funded else Proposal.id.is_not(None))


def _keep_equality_totals(round_: Round) -> None:
    """Store the answers' totals by question on the round: the answers go, the published
    (suppressed) totals stay."""
    kept = {key: Counter() for key in QUESTIONS}
    for key in QUESTIONS:
        column = getattr(EqualityResponse, key)
        for value, n in db.session.execute(
                select(column, func.count()).where(EqualityResponse.round_id == round_.id)
                .group_by(column)):
            kept[key][value or ""] += n
    previous = round_.equality_counts or {}
    round_.equality_counts = {key: {value: n + (previous.get(key, {}).get(value, 0))
                                    for value, n in sorted(kept[key].items())}
                              for key in QUESTIONS}


def _round_ballot_times(round_: Round) -> None:
    """Round each ballot's times down to the hour; the order of ballots within an hour is
    not kept anywhere else either (their ids are in the order cast, but say nothing of who)."""
    ballots = db.session.execute(select(Ballot.id, Ballot.cast_at, Ballot.superseded_at)
                                 .where(Ballot.round_id == round_.id)).all()
    for row in ballots:
        values = {"cast_at": _hour(row.cast_at)}
        if row.superseded_at is not None:
            values["superseded_at"] = _hour(row.superseded_at)
        if values["cast_at"] != row.cast_at or values.get("superseded_at") != row.superseded_at:
            db.session.execute(update(Ballot).where(Ballot.id == row.id).values(**values)
                               .execution_options(synchronize_session=False))


def _hour(when: datetime | None) -> datetime | None:
    return when.replace(minute=0, second=0, microsecond=0) if when is not None else None


def retention_summary() -> list[Round]:
    """Rounds a resident may have given personal data to and that still hold it: the ones
    taking votes or voted in and not yet purged, newest first (for the privacy notice)."""
    rounds = db.session.scalars(
        select(Round).where(Round.status.in_(("voting", "closed", "published")),
                            Round.personal_data_purged_at.is_(None))
        .order_by(Round.id.desc()))
    return list(rounds)
