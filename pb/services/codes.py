"""Batches of voting codes and their printable cards.

Only hashes of the codes are kept with the credentials. The card file (a PDF) does hold the
codes, so it is kept only until the organisers delete it or voting closes.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..errors import DomainError, Problems
from ..extensions import db
from ..models import CodeBatch, Round, User, VoterCredential
from ..models.types import utcnow
from . import access, audit, cards, voting

MAX_LABEL = 80


def check_request(round_: Round, count: int | None, label: str) -> None:
    """Raise Problems if a batch of `count` codes labelled `label` cannot be made."""
    problems = []
    if not round_.before_close:
        problems.append(DomainError(str(_l("Voting in this round has closed, so new codes could "
                                           "not be used.")), field="count"))
    elif count is None or not 1 <= count <= voting.MAX_CODES_PER_BATCH:
        problems.append(DomainError(str(_l("Choose between 1 and %(n)s codes.",
                                           n=f"{voting.MAX_CODES_PER_BATCH:,}")), field="count"))
    if len(label) > MAX_LABEL:
        problems.append(DomainError(str(_l("Keep the label to %(n)s characters or fewer.",
                                           n=MAX_LABEL)), field="label"))
    if problems:
        raise Problems(problems)


def make_batch(user: User | None, round_: Round, count: int, label: str,
               base_url: str) -> tuple[CodeBatch, list[str]]:
    """Make `count` codes as one batch, with a PDF of cards to print.

    `base_url` is where residents reach the site (e.g. https://pb.example.org/): the QR code
    on each card opens the ballot there with the code filled in. `user` None is an operator
    at the command line.
    """
    if user is not None:
        access.require_organiser(user, round_)
    label = (label or "").strip()
    check_request(round_, count, label)
    batch = CodeBatch(round_id=round_.id, label=label, count=count,
                      created_by_id=user.id if user is not None else None)
    db.session.add(batch)
    db.session.flush()
    codes = voting.issue_codes(user, round_, count, into=batch)
    pdf = cards.build_pdf(round_.title, codes, base_url)
    batch.card_pdf, batch.card_size = pdf, len(pdf)
    db.session.flush()
    return batch, codes


@dataclass
class BatchRow:
    batch: CodeBatch
    used: int


def batches(round_: Round) -> list[BatchRow]:
    """The round's batches, newest first, with how many of each batch's codes were used."""
    used = dict(db.session.execute(
        select(VoterCredential.batch_id, func.count())
        .where(VoterCredential.round_id == round_.id, VoterCredential.used_at.is_not(None),
               VoterCredential.batch_id.is_not(None))
        .group_by(VoterCredential.batch_id)).all())
    found = db.session.scalars(select(CodeBatch).where(CodeBatch.round_id == round_.id)
                               .order_by(CodeBatch.created_at.desc(), CodeBatch.id.desc()))
    return [BatchRow(b, used.get(b.id, 0)) for b in found]


def get_batch(round_: Round, batch_id: int) -> CodeBatch | None:
    batch = db.session.get(CodeBatch, batch_id)
    return batch if batch is not None and batch.round_id == round_.id else None


def card_file(user: User | None, batch: CodeBatch) -> bytes:
    """The batch's card file, for downloading again; each download is written to the log."""
    if user is not None:
        access.require_organiser(user, batch.round)
    if not batch.has_cards or not batch.round.before_close:
        raise DomainError(str(_l("The cards for this batch have been deleted. Make a new batch "
                                 "if you need more cards.")))
    audit.record(user, "codes.cards_downloaded", batch, batch_id=batch.id, label=batch.label,
                 count=batch.count)
    return batch.card_pdf


def delete_card_file(user: User | None, batch: CodeBatch) -> None:
    """Delete a batch's card file. The codes on cards already printed still work."""
    if user is not None:
        access.require_organiser(user, batch.round)
    if not batch.has_cards:
        raise DomainError(str(_l("The cards for this batch have already been deleted.")))
    _drop(user, batch, reason="deleted by an organiser")


def drop_card_files(user: User | None, round_: Round) -> int:
    """Delete every card file of a round (when voting closes); return how many went."""
    kept = db.session.scalars(select(CodeBatch).where(CodeBatch.round_id == round_.id,
                                                      CodeBatch.card_size.is_not(None)))
    count = 0
    for batch in kept:
        _drop(user, batch, reason="voting closed")
        count += 1
    return count


def _drop(user: User | None, batch: CodeBatch, reason: str) -> None:
    batch.card_pdf = None
    batch.card_size = None
    batch.card_deleted_at = utcnow()
    db.session.flush()
    audit.record(user, "codes.cards_deleted", batch, batch_id=batch.id, label=batch.label,
                 reason=reason)
