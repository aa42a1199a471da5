"""A small world of two councils for the access and CSRF walks: staff of every role in the
North partnership's council, and objects in North, in South and in another council."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from sqlalchemy import select

from pb.extensions import db
from pb.models import Council, Membership, Partnership, Proposal
from pb.models.user import COUNCIL_ADMIN, MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER
from tests import factories
from tests.functional.helpers import login

ANONYMOUS, RESIDENT = "anonymous", "resident"
ADMIN, ORG, NORTH_ORG = "council-admin", "organiser", "partnership-organiser"
STAFF = [ADMIN, ORG, NORTH_ORG, "member", "scrutineer", "volunteer"]
WHO = [ANONYMOUS, RESIDENT] + STAFF
# What each visitor gets where they have no permission.
REFUSAL = {ANONYMOUS: "sign-in", RESIDENT: "sign-in", **{who: "403/404" for who in STAFF}}
NORTH, SOUTH, OTHER = "north", "south", "other-council"
TARGETS = [NORTH, SOUTH, OTHER]
HOME = (NORTH, SOUTH)  # the council of every staff user in WHO


def _scope(council, partnership, organiser, owner, tag):
    from pb.services import codes, invitations, paper, rounds, voting

    vote = factories.round_(council, slug=f"{tag}-vote", partnership=partnership,
                            voting_methods=["codes", "kiosk"])
    on_ballot = factories.proposal(vote, partnership, f"{tag} bench", 300_00)
    factories.proposal(vote, partnership, f"{tag} bins", 200_00)
    rounds.open_voting(organiser, vote)
    batch, issued = codes.make_batch(organiser, vote, 2, "Library", "http://localhost/")
    paper_batch = paper.create_batch(organiser, vote, "Box 1", 5)

    done = factories.round_(council, slug=f"{tag}-done", partnership=partnership, pot=1_000_00,
                            voting_methods=["codes"])
    funded = factories.proposal(done, partnership, f"{tag} garden", 600_00)
    factories.proposal(done, partnership, f"{tag} mural", 500_00)
    rounds.open_voting(organiser, done)
    code = voting.issue_codes(organiser, done, 1)[0]
    voting.cast_ballot(voting.find_credential(code).id, [(funded.id, 1)], channel="online")
    rounds.close_voting(organiser, done)
    rounds.publish_results(organiser, done)

    ideas = factories.round_(council, slug=f"{tag}-ideas", partnership=partnership)
    draft = Proposal(round=ideas, partnership=partnership, title=f"{tag} draft", summary="Idea",
                     cost=100_00, status="draft", proposer_name=owner.name, contact=owner.email,
                     created_by_id=owner.id)
    db.session.add(draft)
    invitation = invitations.send_invitation(organiser, partnership, f"new-{tag}@x.example",
                                             MEMBER)
    membership = db.session.scalars(select(Membership).where(
        Membership.user_id == owner.id, Membership.partnership_id == partnership.id)).one()
    db.session.flush()
    return SimpleNamespace(
        vote=vote.slug, done=done.slug, ideas=ideas.slug, pid=on_ballot.id, batch=batch.id,
        paper=paper_batch.id, part=partnership.id, inv=invitation.id, mem=membership.id,
        draft=draft.id, funded=funded.id, council=council.id, code=issued[0])


def build(app):
    council, (north, south) = factories.council_with_partnerships()
    other = Council(name="Other Council", slug="other-council")
    east = Partnership(council=other, name="East Partnership", slug="east")
    db.session.add_all([other, east])
    db.session.flush()
    users = {
        ADMIN: factories.user(council, "admin@x.example", COUNCIL_ADMIN),
        ORG: factories.user(council, "org@x.example", ORGANISER),
        NORTH_ORG: factories.user(council, "northorg@x.example", ORGANISER, north),
        "member": factories.user(council, "member@x.example", MEMBER, north),
        "scrutineer": factories.user(council, "scrut@x.example", SCRUTINEER),
        "volunteer": factories.user(council, "vol@x.example", VOLUNTEER, north),
    }
    south_member = factories.user(council, "southmember@x.example", MEMBER, south)
    other_org = factories.user(other, "otherorg@x.example", ORGANISER)
    other_member = factories.user(other, "othermember@x.example", MEMBER, east)
    targets = {
        NORTH: _scope(council, north, users[ORG], users["member"], "north"),
        SOUTH: _scope(council, south, users[ORG], south_member, "south"),
        OTHER: _scope(other, east, other_org, other_member, "east"),
    }
    db.session.commit()
    return SimpleNamespace(app=app, users=users, targets=targets)


def fingerprint() -> str:
    """Every row of every table, hashed: any change anywhere changes it."""
    digest = hashlib.sha256()
    db.session.expire_all()
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(table.select().order_by(*table.primary_key.columns)).all()
            digest.update(repr((table.name, [tuple(row) for row in rows])).encode())
    return digest.hexdigest()


def client_for(world, who):
    client = world.app.test_client()
    if who == RESIDENT:  # half way through voting in the North round, with a real code
        response = client.post("/vote/", data={"code": world.targets[NORTH].code})
        assert response.status_code == 302 and "/vote/ballot" in response.headers["Location"]
    elif who != ANONYMOUS:
        assert login(client, world.users[who].email).status_code == 302
    return client
