"""A published round with funded projects, built through the real services.

The one place that knows which proposal status puts a project on the ballot: if that status
changes (for example to "shortlisted"), change ON_BALLOT here and nothing else.
"""

from __future__ import annotations

from pb.extensions import db
from pb.models import Proposal, Round
from pb.services import rounds, voting
from tests import factories

ON_BALLOT = "approved"


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
