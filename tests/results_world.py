"""More counted rounds for the result-download tests: a second round in the same council, or
one with many projects and long titles."""

from __future__ import annotations

from pb.extensions import db
from pb.services import rounds, voting
from tests import factories


def add_round(world, slug, projects, ballots, publish=True, title=None, pot=None):
    """A counted round in `world.council`: `projects` is [(title, cost)], `ballots` is
    [[title, ...]] (all online); returns (round, {title: Proposal}, TallyResult)."""
    r = factories.round_(world.council, slug=slug, pot=pot or sum(c for _, c in projects),
                         voting_methods=["codes"])
    if title:
        r.title = title
    made = {t: factories.proposal(r, world.partnership, t, c) for t, c in projects}
    rounds.open_voting(world.organiser, r)
    codes = voting.issue_codes(world.organiser, r, len(ballots))
    for code, titles in zip(codes, ballots):
        credential = voting.find_credential(code)
        voting.cast_ballot(credential.id, [(made[t].id, 1) for t in titles])
    result = rounds.close_voting(world.organiser, r)
    if publish:
        rounds.publish_results(world.organiser, r)
    db.session.commit()
    return r, made, result
