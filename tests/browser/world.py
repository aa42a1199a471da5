"""The database the browser suite runs over: the Macclesfield demo, plus a round for every
ballot type and every way to vote, so that every resident page exists.

Built through the real services, in the test process, before the server starts, on SQLite
and (in CI) on PostgreSQL: the same pages, served from either database, must behave the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from pb import demo
from pb.extensions import db
from pb.models import Partnership, Round
from pb.models.proposal import SHORTLISTED
from pb.models.user import VOLUNTEER
from pb.services import accounts, delivery, invitations, proposals, rounds, voting
from tests import factories

PASSWORD = factories.PASSWORD
VOLUNTEER_EMAIL = "kiosk.volunteer@browser.example"
PROPOSER_EMAIL = "resident.proposer@browser.example"
ORGANISER_EMAIL = "organiser@cheshireeast.example"  # the demo's organiser
CODES_PER_ROUND = 60

# One round open for voting for each ballot type (the demo's small grants round is the
# spending-limit ballot). (slug, ballot type, settings, ways to vote)
BALLOT_ROUNDS = [
    ("browser-approval", "approval", {}, ["codes", "email", "postcode", "kiosk"]),
    ("browser-ranking", "ranking", {"max_choices": 3}, ["codes"]),
    ("browser-scores", "scoring", {"min_points": 0, "max_points": 5}, ["codes"]),
    ("browser-points", "points", {"max_total_points": 10}, ["codes"]),
    ("browser-choose-one", "choose-one", {}, ["codes"]),
]
KNAPSACK = "macclesfield-small-grants-2026"
PUBLISHED = "macclesfield-decides"
PROPOSING = "macclesfield-decides-2027"

PROJECTS = [  # (title, Welsh title, cost in pence, summary, Welsh summary)
    ("Benches for Weston Park", "Meinciau ar gyfer Parc Weston", 1_200_00,
     "Six sturdy benches along the main path, so older residents can rest on a walk.",
     "Chwe mainc gadarn ar hyd y prif lwybr, fel y gall pobl hŷn orffwys ar daith."),
    ("Youth club minibus trips", "Teithiau bws mini'r clwb ieuenctid", 2_500_00,
     "Ten day trips for the youth club: the coast, the hills and a city museum.",
     "Deg taith diwrnod i'r clwb ieuenctid: yr arfordir, y bryniau ac amgueddfa."),
    ("Community fridge at the library", "Oergell gymunedol yn y llyfrgell", 800_00,
     "A fridge and a rota of volunteers so good food is shared, not thrown away.",
     "Oergell a rota o wirfoddolwyr fel bod bwyd da'n cael ei rannu."),
    ("Wildflower verges on Hurdsfield Road", "Blodau gwyllt ar Ffordd Hurdsfield", 600_00,
     "Seeds, tools and two planting days with the local school.",
     "Hadau, offer a dau ddiwrnod plannu gyda'r ysgol leol."),
]


@dataclass
class World:
    """What the tests need to know about the seeded database."""

    codes: dict[str, list[str]] = field(default_factory=dict)  # round slug: unused codes
    proposer_draft: int = 0  # a draft of the proposer's, still editable
    proposer_submitted: int = 0  # one of the proposer's, sent for review
    open_project: int = 0  # a project on an open ballot
    funded_project: int = 0  # a funded project of the published round, with delivery reports
    invitation_path: str = ""
    follow_confirm_path: str = ""
    follow_stop_path: str = ""

    def code(self, slug: str) -> str:
        """An unused voting code for the round; each is handed out once."""
        return self.codes[slug].pop()


def build(app) -> World:
    """Fill the (migrated, empty) database behind `app`; returns what the tests need."""
    world = World()
    # A request context, as the services that email links build them with url_for.
    with app.test_request_context(base_url="http://127.0.0.1"):
        demo.load(app.instance_path)
        db.session.commit()
        council = db.session.scalars(select(Round)).first().council
        north = db.session.scalars(select(Partnership).where(
            Partnership.slug == "macclesfield-north")).one()
        organiser = accounts.find_by_email(ORGANISER_EMAIL)
        factories.user(council, VOLUNTEER_EMAIL, VOLUNTEER, north)
        proposer = accounts.register_user(PROPOSER_EMAIL, "Rhiannon Resident", PASSWORD)

        for slug, kind, settings, ways in BALLOT_ROUNDS:
            round_ = factories.round_(council, slug=slug, pot=4_000_00, status="proposals",
                                      ballot_type=kind, ballot_settings=settings,
                                      voting_methods=ways)
            round_.title = f"Browser check: {kind} ballot"
            round_.description = "A round for the browser tests: one for each ballot type."
            if slug == "browser-approval":
                round_.eligible_districts = ["SK10", "SK11"]
                round_.min_age = 16
                round_.equality_questions = True
            for title, title_cy, cost, summary, summary_cy in PROJECTS:
                p = factories.proposal(round_, north, title, cost, status=SHORTLISTED)
                p.title_cy, p.summary, p.summary_cy = title_cy, summary, summary_cy
                p.description = summary + "\nThe partnership will report on how it went."
                p.category = "community"
            rounds.open_voting(organiser, round_)
        db.session.flush()
        for slug in [s for s, *_rest in BALLOT_ROUNDS] + [KNAPSACK]:
            round_ = db.session.scalars(select(Round).where(Round.slug == slug)).one()
            world.codes[slug] = voting.issue_codes(organiser, round_, CODES_PER_ROUND,
                                                   batch="Browser tests")

        approval = db.session.scalars(select(Round).where(Round.slug == "browser-approval")).one()
        world.open_project = approval.proposals[0].id

        ideas = db.session.scalars(select(Round).where(Round.slug == PROPOSING)).one()
        with db.session.no_autoflush:
            draft = proposals.save_draft(proposer, ideas, proposals.ProposalInput(
                title="Repair café at St Barnabas", summary="Monthly repair café with volunteers.",
                contact=PROPOSER_EMAIL))
            sent = proposals.save_and_submit(proposer, ideas, proposals.ProposalInput(
                title="Play area shade sails", summary="Shade over the play area at Victoria Park.",
                description="Two shade sails so children can play in summer without burning.",
                cost=2_400_00, cost_lines=[("Two sails", 2_000_00), ("Fitting", 400_00)],
                area="all", category="children", contact=PROPOSER_EMAIL))
        world.proposer_draft, world.proposer_submitted = draft.id, sent.id

        published = db.session.scalars(select(Round).where(Round.slug == PUBLISHED)).one()
        world.funded_project = delivery.funded_projects(published)[0][0].id
        follower = delivery.follow(published, "follower@browser.example")
        world.follow_confirm_path = f"/delivery/follow/{delivery.follow_token(follower, delivery.CONFIRM)}"
        world.follow_stop_path = f"/delivery/stop/{delivery.follow_token(follower, delivery.STOP)}"

        invitations.send_invitation(organiser, north, "invitee@browser.example", "member")
        db.session.commit()
        world.invitation_path = link_in_outbox("invitee@browser.example", "/auth/invitations/")
    return world


def link_in_outbox(to: str, prefix: str) -> str:
    """The path of the newest link starting with `prefix` in email queued for `to`."""
    import re

    from pb.models import OutgoingEmail

    db.session.expire_all()
    bodies = db.session.scalars(select(OutgoingEmail.body).where(OutgoingEmail.to == to)
                                .order_by(OutgoingEmail.id.desc()))
    for body in bodies:
        found = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"\S+)", body)
        if found:
            return found.group(1)
    raise AssertionError(f"no email to {to} with a link to {prefix}")

