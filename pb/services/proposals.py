"""Proposals from first draft to the ballot: drafting, sending, withdrawing and moderating."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import force_locale

from ..errors import DomainError, Problems
from ..extensions import db
from ..text import clean_fields
from ..models import Area, Partnership, Proposal, ProposalCostLine, ProposalEvent, Round, User
from ..models.proposal import MAX_COST_LINES, PROPOSER_TYPES, SUMMARY_MAX
from ..models.round import BEFORE_VOTING, PROPOSALS
from ..money import format_money
from . import access, audit, mail, photos

WHOLE_ROUND = "all"


@dataclass
class ProposalInput:
    """What the proposer typed. Amounts are already parsed to minor units (None: left empty)."""

    title: str = ""
    summary: str = ""
    description: str = ""
    cost: int | None = None
    cost_lines: list[tuple[str, int | None]] = field(default_factory=list)
    area: str = ""  # "", WHOLE_ROUND or an area id
    category: str = ""
    contact: str = ""
    proposer_type: str = "resident"
    proposer_name: str = ""
    partnership_id: int | None = None
    easy_read_summary: str = ""
    easy_read_summary_cy: str = ""
    title_cy: str = ""
    summary_cy: str = ""

    def __post_init__(self) -> None:
        clean_fields(self)


def proposer_types(user: User, round_: Round) -> dict[str, str]:
    """The kinds of proposer this user can propose as in this round."""
    types = dict(PROPOSER_TYPES)
    if not access.proposing_partnerships(user, round_):
        types.pop("partnership")
    return {k: str(v) for k, v in types.items()}


def save_draft(user: User, round_: Round, data: ProposalInput, photo_upload=None,
               proposal: Proposal | None = None, need_title: bool = True) -> Proposal:
    """Save a new or changed proposal as typed; only the title is needed for a draft."""
    if proposal is None:
        if round_.status != PROPOSALS:
            raise DomainError(str(_l("This round is not taking proposals now.")))
        proposal = Proposal(round=round_, created_by=user, status="draft")
        db.session.add(proposal)
        action = "created"
    else:
        _require_own_editable(user, proposal)
        action = "edited"
    _check_format(user, round_, data, need_title)
    _apply(proposal, round_, user, data)
    photo = photos.store_upload(photo_upload, user=user)
    if photo is not None:
        proposal.photo = photo
    db.session.flush()
    if action == "created" or proposal.status != "draft":
        _event(proposal, user, action)
    return proposal


def submit(user: User, proposal: Proposal) -> Proposal:
    """Send a complete proposal for review."""
    _require_own_editable(user, proposal)
    if proposal.round.status != PROPOSALS:
        raise DomainError(str(_l("This round is not taking proposals now.")))
    check_complete(proposal)
    before = proposal.submit()
    _event(proposal, user, "submitted", before)
    audit.record(user, "proposal.submitted", proposal, round=proposal.round.slug,
                 cost=proposal.cost)
    _tell_proposer(proposal, "submitted")
    return proposal


def save_and_submit(user: User, round_: Round, data: ProposalInput, photo_upload=None,
                    proposal: Proposal | None = None) -> Proposal:
    """Save what was typed and send it for review in one step."""
    proposal = save_draft(user, round_, data, photo_upload, proposal, need_title=False)
    return submit(user, proposal)


def withdraw(user: User, proposal: Proposal) -> None:
    """Take a proposal out of the round, at the proposer's request, before voting opens."""
    if proposal.created_by_id != user.id:
        raise DomainError(str(_l("Only the person who proposed it can withdraw it.")))
    _require_before_voting(proposal.round)
    before = proposal.withdraw()
    _event(proposal, user, "withdrawn", before)
    audit.record(user, "proposal.withdrawn", proposal, round=proposal.round.slug)


# Moderation -----------------------------------------------------------------------------------

def approve_proposal(user: User, proposal: Proposal) -> None:
    """Accept a proposal as meeting the round's criteria."""
    _moderate(user, proposal, "approved", proposal.approve)


def ask_for_changes(user: User, proposal: Proposal, note: str) -> None:
    """Send a proposal back to its proposer with a note of what should change."""
    _moderate(user, proposal, "changes_requested", lambda: proposal.ask_for_changes(note),
              note=note.strip())


def reject_proposal(user: User, proposal: Proposal, reason: str) -> None:
    """Keep a proposal off the ballot, saying why."""
    _moderate(user, proposal, "rejected", lambda: proposal.reject(reason), note=reason.strip())


def shortlist(user: User, proposal: Proposal) -> None:
    """Put an approved proposal on the ballot."""
    _moderate(user, proposal, "shortlisted", proposal.shortlist)


def unshortlist(user: User, proposal: Proposal) -> None:
    """Take a proposal off the ballot again, before voting opens."""
    _moderate(user, proposal, "unshortlisted", proposal.unshortlist)


def adjust_cost(user: User, proposal: Proposal, amount: int | None, reason: str) -> None:
    """Change the amount a proposal will cost on the ballot, recording why."""
    access.require_organiser(user, proposal.round)
    _require_before_voting(proposal.round)
    if proposal.status in ("draft", "withdrawn"):
        raise DomainError(str(_l("This proposal is not under review.")))
    if amount is None:
        raise DomainError(str(_l("Enter the new amount.")), field="amount")
    _check_amount(proposal.round, amount, "amount")
    if amount == proposal.cost:
        raise DomainError(str(_l("That is the amount already on the proposal.")), field="amount")
    if not reason.strip():
        raise DomainError(str(_l("Say why the amount changes, so the proposer knows.")),
                          field="reason")
    previous = proposal.cost
    if proposal.requested_cost is None:
        proposal.requested_cost = previous
    proposal.cost = amount
    _event(proposal, user, "cost_adjusted", proposal.status, note=reason.strip(), amount=amount)
    audit.record(user, "proposal.cost_adjusted", proposal, round=proposal.round.slug,
                 previous=previous, cost=amount, reason=reason.strip())
    _tell_proposer(proposal, "cost_adjusted", note=reason.strip(), previous=previous)


def _moderate(user: User, proposal: Proposal, action: str, change, note: str = "") -> None:
    access.require_organiser(user, proposal.round)
    _require_before_voting(proposal.round)
    before = change()
    _event(proposal, user, action, before, note=note)
    details = {"round": proposal.round.slug, "from": before}
    if note:
        details["note"] = note
    audit.record(user, f"proposal.{action}", proposal, **details)
    _tell_proposer(proposal, action, note=note)


# Checks ---------------------------------------------------------------------------------------

def check_complete(proposal: Proposal) -> None:
    """Raise Problems listing every field a proposal still needs before it can be sent."""
    problems = missing(proposal)
    if problems:
        raise Problems(problems)


def missing(proposal: Proposal) -> list[DomainError]:
    """What a proposal still needs before it can be sent, field by field."""
    round_ = proposal.round
    problems: list[DomainError] = []

    def need(condition: bool, message, field_name: str) -> None:
        if not condition:
            problems.append(DomainError(str(message), field=field_name))

    need(bool(proposal.title.strip()), _l("Enter a title."), "title")
    need(bool(proposal.summary.strip()), _l("Enter a short summary."), "summary")
    need(bool(proposal.description.strip()),
         _l("Describe the project: what it does, who it helps and how."), "description")
    need(proposal.area_id is not None or proposal.whole_round, _l("Choose an area."), "area")
    need(bool(proposal.category), _l("Choose a category."), "category")
    need(proposal.cost is not None, _l("Enter how much you need."), "cost")
    if proposal.cost is not None:
        try:
            _check_amount(round_, proposal.cost, "cost")
        except DomainError as error:
            problems.append(error)
    total = sum(line.amount for line in proposal.cost_lines)
    if not proposal.cost_lines:
        need(False, _l("Add at least one line to the cost breakdown."), "cost_lines")
    elif proposal.cost is not None and total != proposal.cost:
        need(False, _l("The cost breakdown adds up to %(total)s, but you asked for %(cost)s. "
                       "Make them the same.", total=format_money(total, round_.currency),
                       cost=format_money(proposal.cost, round_.currency)), "cost_lines")
    need(bool(proposal.contact.strip()), _l("Enter a contact email or phone number."), "contact")
    return problems


def _check_format(user: User, round_: Round, data: ProposalInput, need_title: bool) -> None:
    if need_title and not data.title.strip():
        raise DomainError(str(_l("Enter a title.")), field="title")
    if len(data.summary.strip()) > SUMMARY_MAX:
        raise DomainError(str(_l("Keep the summary to %(n)s characters or fewer.", n=SUMMARY_MAX)),
                          field="summary")
    if len(data.summary_cy.strip()) > SUMMARY_MAX:
        raise DomainError(str(_l("Keep the summary to %(n)s characters or fewer.", n=SUMMARY_MAX)),
                          field="summary_cy")
    if data.proposer_type not in proposer_types(user, round_):
        raise DomainError(str(_l("Choose who is proposing the project.")), field="proposer_type")
    if data.proposer_type == "partnership":
        allowed = {p.id for p in access.proposing_partnerships(user, round_)}
        if data.partnership_id not in allowed:
            raise DomainError(str(_l("Choose a partnership you belong to.")), field="partnership")
    if data.proposer_type in ("community_group", "cic") and not data.proposer_name.strip():
        raise DomainError(str(_l("Enter the name of your group.")), field="proposer_name")
    if data.cost is not None:
        _check_amount(round_, data.cost, "cost")
    if len(data.cost_lines) > MAX_COST_LINES:
        raise DomainError(str(_l("Use no more than %(n)s cost lines.", n=MAX_COST_LINES)),
                          field="cost_lines")
    for item, amount in data.cost_lines:
        if amount is not None and amount <= 0:
            raise DomainError(str(_l("Each cost line needs an amount more than zero.")),
                              field="cost_lines")
        if amount is not None and not item.strip():
            raise DomainError(str(_l("Say what each amount in the breakdown is for.")),
                              field="cost_lines")
        if item.strip() and amount is None:
            raise DomainError(str(_l("Give an amount for “%(item)s”.", item=item.strip())),
                              field="cost_lines")
    if data.area and data.area != WHOLE_ROUND and _area(round_, data.area) is None:
        raise DomainError(str(_l("Choose one of the areas in the list.")), field="area")
    if data.category and data.category not in dict(round_.category_choices()):
        raise DomainError(str(_l("Choose one of the categories in the list.")), field="category")


def _check_amount(round_: Round, amount: int, field_name: str) -> None:
    money = lambda pence: format_money(pence, round_.currency)  # noqa: E731
    if amount <= 0:
        raise DomainError(str(_l("Enter an amount more than zero.")), field=field_name)
    if amount > round_.pot:
        raise DomainError(str(_l("The amount is more than the whole pot of %(pot)s.",
                                 pot=money(round_.pot))), field=field_name)
    if round_.award_min is not None and amount < round_.award_min:
        raise DomainError(str(_l("Projects in this round can ask for %(band)s.",
                                 band=band_text(round_))), field=field_name)
    if round_.award_max is not None and amount > round_.award_max:
        raise DomainError(str(_l("Projects in this round can ask for %(band)s.",
                                 band=band_text(round_))), field=field_name)


def band_text(round_: Round) -> str:
    """The award band in words: "£500 to £5,000", "up to £250" or "up to the whole pot"."""
    money = lambda pence: format_money(pence, round_.currency)  # noqa: E731
    if round_.award_min is not None and round_.award_max is not None:
        return str(_l("%(low)s to %(high)s", low=money(round_.award_min),
                      high=money(round_.award_max)))
    if round_.award_max is not None:
        return str(_l("up to %(high)s", high=money(round_.award_max)))
    if round_.award_min is not None:
        return str(_l("%(low)s or more, up to the pot of %(pot)s", low=money(round_.award_min),
                      pot=money(round_.pot)))
    return str(_l("up to the whole pot of %(pot)s", pot=money(round_.pot)))


def _area(round_: Round, raw: str) -> Area | None:
    try:
        area_id = int(raw)
    except (TypeError, ValueError):
        return None
    return next((a for a in round_.areas_in_play() if a.id == area_id), None)


def _apply(proposal: Proposal, round_: Round, user: User, data: ProposalInput) -> None:
    partnership = (db.session.get(Partnership, data.partnership_id)
                   if data.proposer_type == "partnership" else None)
    proposal.proposer_type = data.proposer_type
    proposal.partnership = partnership
    if partnership is not None:
        proposal.proposer_name = data.proposer_name.strip() or partnership.name
    else:
        proposal.proposer_name = data.proposer_name.strip() or user.name
    proposal.title = data.title.strip()
    proposal.summary = data.summary.strip()
    proposal.description = data.description.strip()
    proposal.cost = data.cost
    proposal.area = _area(round_, data.area) if data.area not in ("", WHOLE_ROUND) else None
    proposal.whole_round = data.area == WHOLE_ROUND
    proposal.category = data.category or None
    proposal.contact = data.contact.strip()
    proposal.easy_read_summary = data.easy_read_summary.strip()
    proposal.easy_read_summary_cy = data.easy_read_summary_cy.strip()
    proposal.title_cy = data.title_cy.strip()
    proposal.summary_cy = data.summary_cy.strip()
    proposal.cost_lines = [
        ProposalCostLine(position=i, item=item.strip(), amount=amount)
        for i, (item, amount) in enumerate(
            (item, amount) for item, amount in data.cost_lines if item.strip() and amount)
    ]


def area_choice(proposal: Proposal) -> str:
    """The proposal's area as the form's value."""
    if proposal.area_id is not None:
        return str(proposal.area_id)
    return WHOLE_ROUND if proposal.whole_round else ""


def _require_own_editable(user: User, proposal: Proposal) -> None:
    if proposal.created_by_id != user.id:
        raise DomainError(str(_l("Only the person who proposed it can change it.")))
    if not proposal.is_editable:
        raise DomainError(str(_l("This proposal is with the organisers and cannot be changed "
                                 "now.")))


def _require_before_voting(round_: Round) -> None:
    if round_.status not in BEFORE_VOTING:
        raise DomainError(str(_l("The ballot cannot change once voting has opened.")))


def _event(proposal: Proposal, user: User | None, action: str, before: str = "",
           note: str = "", amount: int | None = None) -> None:
    db.session.add(ProposalEvent(proposal=proposal, actor=user, action=action,
                                 from_status=before, to_status=proposal.status, note=note,
                                 amount=amount))


SUBJECTS = {
    "submitted": _l("We have your proposal: %(title)s"),
    "approved": _l("Your proposal has been approved: %(title)s"),
    "changes_requested": _l("Please change your proposal: %(title)s"),
    "rejected": _l("Your proposal will not be on the ballot: %(title)s"),
    "shortlisted": _l("Your proposal is on the ballot: %(title)s"),
    "unshortlisted": _l("Your proposal has been taken off the ballot: %(title)s"),
    "cost_adjusted": _l("The amount for your proposal has changed: %(title)s"),
}


def _tell_proposer(proposal: Proposal, action: str, note: str = "",
                   previous: int | None = None) -> None:
    """Email the proposer about a step in their proposal's life."""
    proposer = proposal.created_by
    if proposer is None:
        return
    # In the proposer's language (the one they last chose on the site), not the organiser's.
    with force_locale(proposer.locale or "en"):
        subject = str(SUBJECTS[action] % {"title": proposal.title})
        mail.queue(proposer.email, subject, "proposal_status", kind=f"proposal.{action}",
                   locale=proposer.locale,
                   proposal=proposal, action=action, note=note, previous=previous,
                   name=proposer.name)
