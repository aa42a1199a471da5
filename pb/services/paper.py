"""Paper ballots: keying batches twice, comparing the passes, and accepting them as ballots.

Who: the round's organisers (pb.services.access.require_organiser). Partnership volunteers are
not allowed: members of a partnership propose projects on the ballot, so they should not be
the ones turning papers into votes.

When: only while voting is open. Accepting a batch casts its ballots through
pb.services.voting.cast_ballot, which refuses once voting has closed (the count is made at
once when voting closes), so keying after that could never count; every change is refused
then, and the batches page says that batches not accepted in time were not counted.

Double entry: each paper is keyed in pass 1 and in pass 2, and nobody who keyed a paper in one
pass of a batch may key in its other pass. A batch is accepted only when each pass holds
exactly the papers 1..declared count and the two passes agree on every paper. Differences
are settled by an organiser choosing one pass's version, which is copied over the other's
(both versions go in the audit log). A paper missing from one pass is keyed in that pass.
Accepting is all or nothing: one transaction makes a ballot of every paper that is not
spoilt, or nothing at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from ..errors import DomainError, Problems
from ..extensions import db
from ..models import PaperBatch, PaperEntry, Round, User
from ..models.paper import ABANDONED, ACCEPTED, KEYING, PASSES
from ..models.types import utcnow
from . import access, audit, ballots, voting

MAX_PAPERS_PER_BATCH = 1000
MAX_REASON_LENGTH = 200


def _require_open(round_: Round) -> None:
    if not round_.is_voting_open:
        raise DomainError(str(_l(
            "Paper ballots can only be keyed and accepted while voting is open. Batches not "
            "accepted before voting closed are not counted.")))


def _require_keying(batch: PaperBatch) -> None:
    _require_open(batch.round)
    if batch.status != KEYING:
        raise DomainError(str(_l("This batch is %(status)s, so it cannot change.",
                                 status=batch.status_label.lower())))


def batches(round_: Round) -> list[PaperBatch]:
    return list(db.session.scalars(
        select(PaperBatch).where(PaperBatch.round_id == round_.id).order_by(PaperBatch.id)))


def waiting_batches(round_: Round) -> int:
    """How many batches are still being keyed: they count only once accepted."""
    return db.session.scalar(select(func.count()).select_from(PaperBatch).where(
        PaperBatch.round_id == round_.id, PaperBatch.status == KEYING)) or 0


def _count_problem(declared_count: int | None) -> DomainError | None:
    if declared_count is None or not 1 <= declared_count <= MAX_PAPERS_PER_BATCH:
        return DomainError(str(_l(
            "Enter the number of papers written on the envelope, from 1 to %(n)s.",
            n=MAX_PAPERS_PER_BATCH)), field="declared_count")
    return None


def create_batch(user: User, round_: Round, label: str, declared_count: int | None) -> PaperBatch:
    access.require_organiser(user, round_)
    _require_open(round_)
    label = (label or "").strip()
    problems = []
    if not label:
        problems.append(DomainError(str(_l("Enter the label written on the envelope or header "
                                           "sheet.")), field="label"))
    elif len(label) > 80:
        problems.append(DomainError(str(_l("Keep the label to 80 characters or fewer.")),
                                    field="label"))
    elif db.session.scalar(select(PaperBatch.id).where(PaperBatch.round_id == round_.id,
                                                       PaperBatch.label == label)):
        problems.append(DomainError(str(_l("There is already a batch called “%(label)s” in this "
                                           "round. Give this one another label.", label=label)),
                                    field="label"))
    if (problem := _count_problem(declared_count)) is not None:
        problems.append(problem)
    if problems:
        raise Problems(problems)
    batch = PaperBatch(round_id=round_.id, label=label, declared_count=declared_count,
                       status=KEYING, created_by_id=user.id, created_at=utcnow())
    db.session.add(batch)
    db.session.flush()
    audit.record(user, "paper.batch_created", batch, label=label, declared_count=declared_count)
    return batch


def change_count(user: User, batch: PaperBatch, declared_count: int | None) -> None:
    """Correct the declared number of papers, after a recount of the envelope."""
    access.require_organiser(user, batch.round)
    _require_keying(batch)
    if (problem := _count_problem(declared_count)) is not None:
        raise problem
    before = batch.declared_count
    batch.declared_count = declared_count
    audit.record(user, "paper.count_changed", batch, label=batch.label, before=before,
                 after=declared_count)


def next_paper_number(batch: PaperBatch, pass_number: int) -> int | None:
    """The lowest paper number not yet keyed in a pass, or None when all are keyed."""
    keyed = batch.entries_of(pass_number)
    return next((n for n in range(1, batch.declared_count + 1) if n not in keyed), None)


def other_pass(pass_number: int) -> int:
    return 2 if pass_number == 1 else 1


def may_key(user: User, batch: PaperBatch, pass_number: int) -> bool:
    """False when `user` keyed papers in the other pass of this batch."""
    return all(e.keyed_by_id != user.id for e in batch.entries_of(other_pass(pass_number))
               .values())


def key_paper(user: User, batch: PaperBatch, pass_number: int, paper_number: int | None,
              form: Mapping, spoilt: bool = False, reason: str = "") -> PaperEntry:
    """Key one paper in one pass. `form` holds the ballot fields (see pb.services.ballots).

    A paper whose marks break the ballot's rules may be saved only as spoilt, with a reason.
    """
    round_ = batch.round
    access.require_organiser(user, round_)
    _require_keying(batch)
    if pass_number not in PASSES:
        raise DomainError(str(_l("Choose pass 1 or pass 2.")))
    if not may_key(user, batch, pass_number):
        raise DomainError(str(_l(
            "You keyed papers in pass %(other)s of this batch, so someone else must key pass "
            "%(this)s. Two different people key each batch.", other=other_pass(pass_number),
            this=pass_number)))
    problems: list[DomainError] = []
    if paper_number is None or not 1 <= paper_number <= batch.declared_count:
        problems.append(DomainError(str(_l(
            "Enter a paper number from 1 to %(n)s: the batch has %(n)s papers.",
            n=batch.declared_count)), field="paper_number"))
    elif paper_number in batch.entries_of(pass_number):
        problems.append(DomainError(str(_l(
            "Paper %(n)s is already keyed in pass %(p)s. Check the number on the paper.",
            n=paper_number, p=pass_number)), field="paper_number"))
    projects = voting.ballot_projects(round_)
    filled = ballots.read(voting.rules_for(round_, projects), projects, form)
    reason = (reason or "").strip()
    if spoilt:
        if not reason:
            problems.append(DomainError(str(_l(
                "Say why the paper cannot be counted, for example “too many ticks”.")),
                field="spoilt_reason"))
        elif len(reason) > MAX_REASON_LENGTH:
            problems.append(DomainError(str(_l("Keep the reason to %(n)s characters or fewer.",
                                               n=MAX_REASON_LENGTH)), field="spoilt_reason"))
    elif not filled.ok:
        problems += [DomainError(message, field=fid) for fid, message in filled.problems]
        problems.append(DomainError(str(_l(
            "If the paper cannot be counted as it is, tick “Spoilt paper” and say why.")),
            field="spoilt"))
    if problems:
        raise Problems(problems)
    entry = PaperEntry(batch=batch, pass_number=pass_number, paper_number=paper_number,
                       keyed_by_id=user.id, keyed_at=utcnow(),
                       marks=[] if spoilt else [list(m) for m in filled.marks],
                       spoilt=bool(spoilt), spoilt_reason=reason if spoilt else "")
    db.session.add(entry)
    db.session.flush()
    audit.record(user, "paper.keyed", batch, label=batch.label, pass_number=pass_number,
                 paper_number=paper_number, spoilt=bool(spoilt))
    return entry


# Comparing the passes.
MISSING_FIRST = "missing-1"
MISSING_SECOND = "missing-2"
DIFFERENT = "different"
SPOILT_IN_ONE = "spoilt-in-one"


@dataclass
class Mismatch:
    paper_number: int
    kind: str
    first: PaperEntry | None
    second: PaperEntry | None

    @property
    def message(self) -> str:
        if self.kind == MISSING_FIRST:
            return str(_l("Not keyed in pass 1."))
        if self.kind == MISSING_SECOND:
            return str(_l("Not keyed in pass 2."))
        if self.kind == SPOILT_IN_ONE:
            return str(_l("Spoilt in one pass only."))
        return str(_l("The marks are different."))

    @property
    def resolvable(self) -> bool:
        """Both passes have the paper; a missing paper is keyed in its pass instead."""
        return self.first is not None and self.second is not None


def same(first: PaperEntry, second: PaperEntry) -> bool:
    if first.spoilt or second.spoilt:
        return first.spoilt and second.spoilt  # the reasons may be worded differently
    return sorted(map(tuple, first.marks)) == sorted(map(tuple, second.marks))


def compare(batch: PaperBatch) -> list[Mismatch]:
    """Every paper number on which the two passes differ, in order."""
    first, second = batch.entries_of(1), batch.entries_of(2)
    found = []
    for number in sorted(set(first) | set(second)):
        a, b = first.get(number), second.get(number)
        if a is None:
            found.append(Mismatch(number, MISSING_FIRST, None, b))
        elif b is None:
            found.append(Mismatch(number, MISSING_SECOND, a, None))
        elif a.spoilt != b.spoilt:
            found.append(Mismatch(number, SPOILT_IN_ONE, a, b))
        elif not same(a, b):
            found.append(Mismatch(number, DIFFERENT, a, b))
    return found


def resolve(user: User, batch: PaperBatch, paper_number: int | None, chosen_pass: int | None
            ) -> PaperEntry:
    """Settle a difference: the chosen pass's version of the paper replaces the other's."""
    access.require_organiser(user, batch.round)
    _require_keying(batch)
    if chosen_pass not in PASSES:
        raise DomainError(str(_l("Choose the version from pass 1 or from pass 2.")),
                          field="chosen")
    mismatch = next((m for m in compare(batch) if m.paper_number == paper_number), None)
    if mismatch is None:
        raise DomainError(str(_l("The two passes already agree on paper %(n)s.",
                                 n=paper_number)))
    if not mismatch.resolvable:
        raise DomainError(str(_l("Paper %(n)s is not keyed in both passes yet. Key it in the "
                                 "missing pass first.", n=paper_number)))
    keep, replace = ((mismatch.first, mismatch.second) if chosen_pass == 1
                     else (mismatch.second, mismatch.first))
    before = {"pass_1": mismatch.first.version(), "pass_2": mismatch.second.version()}
    replace.marks = [list(m) for m in keep.marks]
    replace.spoilt = keep.spoilt
    replace.spoilt_reason = keep.spoilt_reason
    replace.resolved_by_id = user.id
    keep.resolved_by_id = user.id
    audit.record(user, "paper.mismatch_resolved", batch, label=batch.label,
                 paper_number=paper_number, chosen_pass=chosen_pass, **before)
    return keep


def reconcile(batch: PaperBatch) -> list[str]:
    """Why the batch cannot be accepted yet; empty when it can."""
    found = []
    n = batch.declared_count
    for pass_number in PASSES:
        entries = batch.entries_of(pass_number)
        missing = [k for k in range(1, n + 1) if k not in entries]
        extra = sorted(k for k in entries if k > n)
        if extra:
            found.append(ngettext(
                "Pass %(p)s has %(count)s papers but the envelope says %(num)s paper.",
                "Pass %(p)s has %(count)s papers but the envelope says %(num)s papers.", n,
                p=pass_number, count=len(entries)))
        if missing:
            found.append(ngettext(
                "Pass %(p)s is missing %(num)s paper: %(list)s.",
                "Pass %(p)s is missing %(num)s papers: %(list)s.", len(missing),
                p=pass_number, list=_short_list(missing)))
    differing = [m.paper_number for m in compare(batch) if m.resolvable]
    if differing:
        found.append(ngettext(
            "The passes differ on %(num)s paper: %(list)s. Compare them and choose the right "
            "version.", "The passes differ on %(num)s papers: %(list)s. Compare them and choose "
            "the right version.", len(differing), list=_short_list(differing)))
    return found


def _short_list(numbers: list[int], most: int = 10) -> str:
    shown = ", ".join(str(k) for k in numbers[:most])
    return shown + ("…" if len(numbers) > most else "")


def accept(user: User, batch: PaperBatch) -> int:
    """Make a ballot of every paper that is not spoilt, all in the caller's one transaction.

    Returns the number of ballots. Raises (and the caller rolls back) if the batch does not
    reconcile or any ballot cannot be cast, so either every paper counts or none does.
    """
    round_ = batch.round
    access.require_organiser(user, round_)
    _require_keying(batch)
    problems = reconcile(batch)
    if problems:
        raise Problems([DomainError(str(_l("The batch cannot be accepted yet.")))]
                       + [DomainError(p) for p in problems])
    papers = batch.entries_of(1)
    projects = voting.ballot_projects(round_)  # loaded once for the whole batch
    cast = 0
    for number in range(1, batch.declared_count + 1):
        entry = papers[number]
        if entry.spoilt:
            continue
        credential = voting.one_off_credential(round_, "paper")
        try:
            voting.cast_ballot(credential.id, [tuple(m) for m in entry.marks], channel="paper",
                               projects=projects)
        except DomainError as error:
            raise DomainError(str(_l(
                "Paper %(n)s could not be counted: %(problem)s Nothing from this batch has been "
                "counted.", n=number, problem=error.message))) from error
        cast += 1
    spoilt = batch.declared_count - cast
    batch.status = ACCEPTED
    batch.accepted_by_id = user.id
    batch.accepted_at = utcnow()
    audit.record(user, "paper.batch_accepted", batch, label=batch.label, ballots=cast,
                 spoilt=spoilt)
    return cast


def abandon(user: User, batch: PaperBatch) -> None:
    """Give up on a batch: nothing in it is counted. Its keyed papers are kept."""
    access.require_organiser(user, batch.round)
    if batch.status != KEYING:
        raise DomainError(str(_l("Only a batch that is still being keyed can be abandoned.")))
    batch.status = ABANDONED
    audit.record(user, "paper.batch_abandoned", batch, label=batch.label)
