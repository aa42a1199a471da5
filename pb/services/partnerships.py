"""Neighbourhood partnerships: creating them, the areas they cover, and who belongs to them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from ..errors import DomainError
from ..extensions import db
from ..text import slugify
from ..models import Area, Council, Membership, Partnership, Proposal, User
from ..models.user import ORGANISER
from . import access, audit

# The four kinds of area organisers type in, each in its own box, one name per line.
AREA_FIELDS = {
    "ward": "wards",
    "estate": "estates",
    "village": "villages",
    "postcode_district": "postcode_districts",
}
AREA_FIELD_LABELS = {
    "wards": _l("Wards"),
    "estates": _l("Estates"),
    "villages": _l("Villages"),
    "postcode_districts": _l("Postcode districts"),
}
MAX_AREAS_PER_KIND = 500
MAX_NAME = 200

# The first half of a UK postcode ("outward code"): SK10, M1, EC1A, W1A, B33.
OUTWARD_CODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
FULL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?\s*[0-9][A-Z]{2}$")


@dataclass
class AreasInput:
    """What was typed in the four area boxes, one name per line."""

    wards: str = ""
    estates: str = ""
    villages: str = ""
    postcode_districts: str = ""


def parse_areas(areas: AreasInput) -> list[tuple[str, str]]:
    """(kind, name) pairs from the four boxes: blank lines and repeats dropped, postcode
    districts checked and put in capitals; a name given under two kinds is refused."""
    found: list[tuple[str, str]] = []
    seen: dict[str, str] = {}  # folded name -> field it was first given in
    for kind, field in AREA_FIELDS.items():
        text = getattr(areas, field) or ""
        names = postcode_districts(text) if kind == "postcode_district" else _names(text, field)
        if len(names) > MAX_AREAS_PER_KIND:
            raise DomainError(str(_l("List %(n)s areas or fewer here.", n=MAX_AREAS_PER_KIND)),
                              field=field)
        for name in names:
            key = name.casefold()
            if key in seen:
                if seen[key] == field:
                    continue  # the same name twice in one box: keep one
                raise DomainError(str(_l(
                    "“%(name)s” is already listed under %(other)s. List each area once.",
                    name=name, other=AREA_FIELD_LABELS[seen[key]])), field=field)
            seen[key] = field
            found.append((kind, name))
    return found


def _names(text: str, field: str) -> list[str]:
    names = [" ".join(line.split()) for line in text.splitlines()]
    names = [n for n in names if n]
    too_long = [n for n in names if len(n) > MAX_NAME]
    if too_long:
        raise DomainError(str(_l("Keep each name to %(n)s characters or fewer.", n=MAX_NAME)),
                          field=field)
    return names


def postcode_districts(text: str, field: str = "postcode_districts") -> list[str]:
    """Postcode districts, one per line (commas and spaces between them are fine too)."""
    codes: list[str] = []
    wrong: list[str] = []
    full: list[str] = []
    for piece in re.split(r"[\n,;]+", text.upper()):
        piece = " ".join(piece.split())
        if not piece:
            continue
        if FULL_POSTCODE.match(piece):
            full.append(piece)
            continue
        for code in piece.split():
            (codes if OUTWARD_CODE.match(code) else wrong).append(code)
    if full:
        raise DomainError(str(_l(
            "Enter only the first part of the postcode: %(code)s rather than %(full)s.",
            code=full[0].split()[0] if " " in full[0] else full[0][:-3], full=full[0])),
            field=field)
    if wrong:
        raise DomainError(str(_l(
            "%(codes)s: not a postcode district. Enter the first part of a postcode, like "
            "SK10, M1 or EC1A.", codes=", ".join(wrong[:5]))), field=field)
    return codes


def _unique_slug(council: Council, name: str) -> str:
    base = slugify(name) or "partnership"
    taken = set(db.session.scalars(select(Partnership.slug).where(
        Partnership.council_id == council.id)))
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug, n = base[: 80 - len(suffix)] + suffix, n + 1
    return slug


def _check_name(council: Council, name: str, partnership: Partnership | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(str(_l("Enter the partnership's name.")), field="name")
    if len(name) > MAX_NAME:
        raise DomainError(str(_l("Keep the name to %(n)s characters or fewer.", n=MAX_NAME)),
                          field="name")
    clash = db.session.scalars(select(Partnership).where(
        Partnership.council_id == council.id,
        func.lower(Partnership.name) == name.lower(),
    )).first()
    if clash is not None and clash is not partnership:
        raise DomainError(str(_l("There is already a partnership called “%(name)s”.",
                                 name=clash.name)), field="name")
    return name


def create_partnership(actor: User, council: Council, name: str, areas: AreasInput) -> Partnership:
    """Set up a partnership of the council, with the areas it covers."""
    if not access.can_create_partnerships(actor, council):
        raise DomainError(str(_l("Only council organisers can create partnerships.")))
    name = _check_name(council, name)
    wanted = parse_areas(areas)
    partnership = Partnership(council=council, name=name, slug=_unique_slug(council, name))
    partnership.areas = [Area(kind=kind, name=area) for kind, area in wanted]
    db.session.add(partnership)
    db.session.flush()
    audit.record(actor, "partnership.created", partnership, name=name, slug=partnership.slug,
                 areas=[[kind, area] for kind, area in wanted])
    return partnership


def update_partnership(actor: User, partnership: Partnership, name: str,
                       areas: AreasInput) -> Partnership:
    """Rename a partnership and change its areas, keeping any area a proposal names."""
    access.require_partnership_manager(actor, partnership)
    name = _check_name(partnership.council, name, partnership)
    wanted = parse_areas(areas)
    wanted_by_key = {area.casefold(): (kind, area) for kind, area in wanted}
    current = {a.name.casefold(): a for a in partnership.areas if a.kind in AREA_FIELDS}
    others = {a.name.casefold(): a for a in partnership.areas if a.kind not in AREA_FIELDS}
    for key, (kind, area_name) in wanted_by_key.items():
        if key in others:
            raise DomainError(str(_l("“%(name)s” is already one of this partnership's areas.",
                                     name=area_name)), field=AREA_FIELDS[kind])

    dropped = [a for key, a in current.items() if key not in wanted_by_key]
    in_use = _areas_in_use(dropped)
    if in_use:
        first = in_use[0]
        names = ", ".join(f"“{a.name}”" for a in in_use[:5])
        raise DomainError(ngettext(
            "%(names)s cannot be taken off: proposals name it. Put it back in the list.",
            "%(names)s cannot be taken off: proposals name them. Put them back in the list.",
            len(in_use), names=names), field=AREA_FIELDS[first.kind])

    added, removed, changed = [], [], []
    for area in dropped:
        partnership.areas.remove(area)
        removed.append([area.kind, area.name])
    for key, (kind, area_name) in wanted_by_key.items():
        area = current.get(key)
        if area is None:
            partnership.areas.append(Area(kind=kind, name=area_name))
            added.append([kind, area_name])
        elif (area.kind, area.name) != (kind, area_name):
            changed.append([[area.kind, area.name], [kind, area_name]])
            area.kind, area.name = kind, area_name

    details: dict = {}
    if name != partnership.name:
        details["name"] = [partnership.name, name]
        partnership.name = name
    if added:
        details["areas_added"] = added
    if removed:
        details["areas_removed"] = removed
    if changed:
        details["areas_changed"] = changed
    db.session.flush()
    if details:
        audit.record(actor, "partnership.updated", partnership, **details)
    return partnership


def _areas_in_use(areas: list[Area]) -> list[Area]:
    if not areas:
        return []
    used = set(db.session.scalars(select(Proposal.area_id).where(
        Proposal.area_id.in_([a.id for a in areas]))))
    return [a for a in areas if a.id in used]


def areas_as_text(partnership: Partnership) -> AreasInput:
    """The partnership's areas as they appear in the four boxes."""
    found = {field: [] for field in AREA_FIELDS.values()}
    for area in sorted(partnership.areas, key=lambda a: a.name.casefold()):
        if area.kind in AREA_FIELDS:
            found[AREA_FIELDS[area.kind]].append(area.name)
    return AreasInput(**{field: "\n".join(names) for field, names in found.items()})


def members(partnership: Partnership) -> list[Membership]:
    """The partnership's own memberships (not council-wide staff), by name then role."""
    return list(db.session.scalars(
        select(Membership).join(User, Membership.user_id == User.id)
        .where(Membership.partnership_id == partnership.id)
        .order_by(func.lower(User.name), User.id, Membership.role)
    ))


def remove_membership(actor: User, membership: Membership) -> None:
    """Take one role in a partnership away from someone; the last organiser cannot remove
    themselves."""
    partnership = membership.partnership
    if partnership is None:
        raise DomainError(str(_l("Council-wide roles are not changed here.")))
    access.require_partnership_manager(actor, partnership)
    if membership.user_id == actor.id and membership.role == ORGANISER:
        others = db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.partnership_id == partnership.id, Membership.role == ORGANISER,
            Membership.id != membership.id))
        if not others:
            raise DomainError(str(_l(
                "You are this partnership's only organiser. Invite another organiser first.")))
    user = membership.user
    db.session.delete(membership)
    db.session.flush()
    audit.record(actor, "membership.removed", user, email=user.email, role=membership.role,
                 partnership_id=partnership.id, partnership=partnership.name)


@dataclass
class CouncilPartnerships:
    """What one user may manage in one council."""

    council: Council
    can_create: bool
    partnerships: list[Partnership]


def managed_by(user: User) -> list[CouncilPartnerships]:
    """Councils whose partnerships `user` manages, each with those partnerships."""
    by_council: dict[int, CouncilPartnerships] = {}
    for m in user.memberships:
        if m.role not in access.ORGANISING_ROLES:
            continue
        entry = by_council.setdefault(m.council_id, CouncilPartnerships(m.council, False, []))
        if m.partnership_id is None:
            entry.can_create = True
    for entry in by_council.values():
        if entry.can_create:
            entry.partnerships = list(db.session.scalars(
                select(Partnership).where(Partnership.council_id == entry.council.id)
                .order_by(func.lower(Partnership.name))))
        else:
            entry.partnerships = sorted(
                {m.partnership.id: m.partnership for m in user.memberships
                 if m.council_id == entry.council.id and m.partnership is not None
                 and m.role in access.ORGANISING_ROLES}.values(),
                key=lambda p: p.name.casefold())
    return sorted(by_council.values(), key=lambda e: e.council.name.casefold())
