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


def counted_round(publish=False, slug="spring", ballots=None, equality=0):
    """A closed (or published) round with a known count: three projects, ballots from several
    channels and postcode districts, and `equality` equality-monitoring responses.

    Returns a SimpleNamespace: council, partnership, organiser, round, projects {title:
    Proposal}, result (the stored TallyResult).
    """
    from types import SimpleNamespace

    from pb.models.user import ORGANISER
    from pb.services import eligibility, rounds, voting

    council, (north,) = council_with_partnerships(["North"])
    organiser = user(council, "organiser@example.org", ORGANISER)
    r = round_(council, slug=slug, pot=1_000_00, voting_methods=["codes"],
               equality_questions=bool(equality))
    projects = {t: proposal(r, north, t, c) for t, c in
                (("Allotment", 600_00), ("Bus shelter", 400_00), ("Community fridge", 100_00))}
    rounds.open_voting(organiser, r)
    ballots = ballots if ballots is not None else [
        (["Allotment", "Bus shelter"], "online", "SK10"),
        (["Allotment", "Bus shelter"], "online", "SK10"),
        (["Allotment", "Community fridge"], "kiosk", None),
        (["Community fridge"], "paper", None),
        (["Bus shelter"], "online", "SK11"),
    ]
    codes = voting.issue_codes(organiser, r, len(ballots)) if ballots else []
    for code, (titles, channel, district) in zip(codes, ballots):
        credential = voting.find_credential(code)
        voting.cast_ballot(credential.id, [(projects[t].id, 1) for t in titles],
                           channel=channel, district=district)
    for i in range(equality):
        eligibility.record_equality(r, {"age_band": "25-34" if i % 4 else "75-plus",
                                        "sex": "female" if i % 2 else "prefer-not"})
    result = rounds.close_voting(organiser, r)
    if publish:
        rounds.publish_results(organiser, r)
    db.session.commit()
    return SimpleNamespace(council=council, partnership=north, organiser=organiser, round=r,
                           projects=projects, result=result)


def hall_vote(codes: int):
    """A knapsack round open for voting with two projects and `codes` voting codes.

    Returns a dict: round, codes, projects (their ids), organiser.
    """
    from pb.models.user import ORGANISER
    from pb.services import rounds, voting

    council, (north, _south) = council_with_partnerships()
    organiser = user(council, "organiser@council.example", ORGANISER)
    r = round_(council, slug="hall", pot=10_000_00, ballot_type="knapsack")
    swings = proposal(r, north, "Swings", 4_000_00)
    benches = proposal(r, north, "Benches", 2_000_00)
    rounds.open_voting(organiser, r)
    made = voting.issue_codes(organiser, r, codes)
    db.session.commit()
    return dict(round=r, codes=made, projects=[swings.id, benches.id], organiser=organiser)
