"""Small builders for test data, going through the services where they exist."""

from __future__ import annotations

from pb.extensions import db
from pb.models import Council, Partnership, Proposal, Round
from pb.models.proposal import SHORTLISTED
from pb.services import accounts

PASSWORD = "correct horse battery"


def council_with_partnerships(names=("North", "South")):
    council = Council(name="Test Council", slug="test-council")
    db.session.add(council)
    parts = []
    for name in names:
        p = Partnership(council=council, name=f"{name} Partnership", slug=name.lower())
        db.session.add(p)
        parts.append(p)
    db.session.flush()
    return council, parts


def user(council, email, role, partnership=None):
    return accounts.create_user(email, email.split("@")[0], PASSWORD,
                                [(council.id, partnership.id if partnership else None, role)])


def round_(council, slug="spring", pot=100_000_00, status="proposals", partnership=None,
           ballot_type="approval", ballot_settings=None, **fields):
    r = Round(council=council, slug=slug, title=f"Round {slug}", pot=pot, currency="GBP",
              status=status, partnership=partnership, ballot_type=ballot_type,
              ballot_settings=ballot_settings or {}, rule_settings={}, **fields)
    db.session.add(r)
    db.session.flush()
    return r


def proposal(round_, partnership, title, cost, status=SHORTLISTED):
    p = Proposal(round=round_, partnership=partnership, title=title, summary=f"About {title}",
                 cost=cost, status=status, proposer_name=partnership.name, contact="x@example.org")
    db.session.add(p)
    db.session.flush()
    return p


def area(partnership, name, kind="ward"):
    from pb.models import Area

    a = Area(partnership=partnership, name=name, kind=kind)
    db.session.add(a)
    db.session.flush()
    return a
