"""A published round with funded projects, built through the real services.

The one place that knows which proposal status puts a project on the ballot: if that status
changes (for example to "shortlisted"), change ON_BALLOT here and nothing else.
"""

from __future__ import annotations

from types import SimpleNamespace

from pb.extensions import db
from pb.models import Area, Proposal, Round
from pb.models.user import COUNCIL_ADMIN, MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER
from pb.services import rounds, voting
from tests import factories

ON_BALLOT = "shortlisted"


def published_round(organiser, projects, ballots, pot, slug="decides", publish=True,
                    council=None) -> tuple[Round, dict[str, Proposal]]:
    """Run a round to a published result.

    `projects` maps a title to (partnership, cost in pence); `ballots` lists the titles each
    voter approves. Returns the round and its proposals by title.
    """
    council = council or organiser.memberships[0].council
    round_ = factories.round_(council, slug=slug, pot=pot)
    by_title = {title: factories.proposal(round_, partnership, title, cost, status=ON_BALLOT)
                for title, (partnership, cost) in projects.items()}
    rounds.open_voting(organiser, round_)
    for code, choice in zip(voting.issue_codes(organiser, round_, len(ballots)), ballots):
        voting.cast_ballot(voting.find_credential(code).id, [by_title[t].id for t in choice])
    rounds.close_voting(organiser, round_)
    if publish:
        rounds.publish_results(organiser, round_)
    db.session.commit()
    return round_, by_title


LUNCH, GYM, CAFE = "Healthy lunch club", "Green Gym", "Dementia café"


def funded_world() -> SimpleNamespace:
    """A council with two partnerships, staff in every role, and a published £6,000 round.

    Greedy counting funds the lunch club (north, £1,625, 3 votes) and the gym (south, £4,000,
    2 votes); the café (north, £6,000, 1 vote) no longer fits. A north volunteer proposed the
    lunch club.
    """
    council, (north, south) = factories.council_with_partnerships()
    organiser = factories.user(council, "org@council.example", ORGANISER)
    users = {
        "organiser": organiser,
        "admin": factories.user(council, "admin@council.example", COUNCIL_ADMIN),
        "north": factories.user(council, "member@north.example", MEMBER, north),
        "north-organiser": factories.user(council, "organiser@north.example", ORGANISER, north),
        "south": factories.user(council, "member@south.example", MEMBER, south),
        "scrutineer": factories.user(council, "scrutineer@council.example", SCRUTINEER),
        "proposer": factories.user(council, "resident@example.org", VOLUNTEER, north),
        "volunteer": factories.user(council, "helper@example.org", VOLUNTEER, north),
    }
    round_, projects = published_round(
        organiser, {LUNCH: (north, 1_625_00), GYM: (south, 4_000_00), CAFE: (north, 6_000_00)},
        [[LUNCH]] * 3 + [[GYM]] * 2 + [[CAFE]], pot=6_000_00)
    lunch = projects[LUNCH]
    lunch.created_by_id = users["proposer"].id
    lunch.category = "health"
    lunch.area = Area(partnership=north, name="Weston")
    db.session.commit()
    return SimpleNamespace(round=round_, council=council, north=north, south=south, users=users,
                           lunch=lunch, gym=projects[GYM], cafe=projects[CAFE])
