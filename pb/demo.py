"""The Macclesfield demo: Cheshire East's 2015 PB day, with illustrative projects.

Loaded through the same services the web pages use, so the demo exercises the real path.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from .extensions import db
from .text import slugify
from .models import Area, Council, Partnership, Proposal, Round, VoterCredential
from .models.proposal import SHORTLISTED
from .models.user import COUNCIL_ADMIN, MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER
from .models.equality import PREFER_NOT, QUESTIONS
from .services import accounts, codes, delivery, eligibility, proposals, rounds, voting

LOGINS_FILE = "demo_logins.txt"
CODES_FILE = "demo_codes.txt"

PARTNERSHIPS = {
    "Macclesfield North": ["Tytherington", "Broken Cross and Upton", "Upton Priory estate"],
    "Macclesfield South": ["Macclesfield South", "Moss Rose estate", "Weston"],
    "Macclesfield East": ["Macclesfield East", "Macclesfield Hurdsfield", "SK10 2"],
    "Macclesfield Central and West": ["Macclesfield Central", "Macclesfield West and Ivy"],
}

# (title, cost in pounds, partnership, area, category, popularity weight, summary)
PROJECTS = [
    ("CBT support group", 1625, "Macclesfield Central and West", "Macclesfield Central", "health", 0.45,
     "Weekly peer support sessions using cognitive behavioural therapy techniques for people living with anxiety and low mood."),
    ("Tinytearaways mums and tots", 850, "Macclesfield South", "Weston", "children", 0.40,
     "A friendly weekly play session for parents and carers with babies and toddlers, with toys, songs and a cuppa."),
    ("The Green in the Corner dementia café", 6000, "Macclesfield North", "Tytherington", "older_people", 0.55,
     "A monthly café where people living with dementia and their carers can meet, share advice and enjoy music together."),
    ("Baby yoga", 1500, "Macclesfield East", "Macclesfield Hurdsfield", "children", 0.30,
     "Gentle yoga and massage classes for parents and babies, helping bonding and wellbeing in the first year."),
    ("Healthy lunch club", 1000, "Macclesfield South", "Moss Rose estate", "older_people", 0.42,
     "A weekly hot, healthy lunch for older residents who live alone, cooked by local volunteers."),
    ("Green Gym equipment for Banbury Park", 16000, "Macclesfield North", "Broken Cross and Upton", "green", 0.50,
     "Outdoor exercise equipment in Banbury Park, free for everyone to use all year round."),
    ("Action Station in South Park", 50000, "Macclesfield South", "Macclesfield South", "children", 0.52,
     "A new adventure play area in South Park for children of all ages and abilities."),
    ("Resident-led smoking cessation groups", 3608, "Macclesfield East", "Macclesfield East", "health", 0.25,
     "Stop-smoking groups run by local people who have quit, with support from health trainers."),
    ("Life Programme: recovery and friendship", 10000, "Macclesfield Central and West", "Macclesfield West and Ivy", "health", 0.38,
     "Mentoring, activities and a weekly drop-in for people in recovery from addiction, and for anyone who wants more company."),
    ("Mental health awareness training", 2520, "Macclesfield Central and West", "Macclesfield Central", "health", 0.33,
     "Mental health first aid courses for volunteers, shop staff and community leaders in the town centre."),
    ("Weston Memories reminiscence group", 1100, "Macclesfield South", "Weston", "older_people", 0.36,
     "A reminiscence group where older residents share photos and stories of Weston, building an archive for the estate."),
    ("Hurdsfield community garden", 4750, "Macclesfield East", "Macclesfield Hurdsfield", "green", 0.35,
     "Raised beds, a shed and tools so neighbours can grow food together on unused land by the community centre."),
    ("Youth football coaching at Victoria Park", 7200, "Macclesfield North", "Tytherington", "children", 0.41,
     "Free weekly football coaching for 8 to 16 year olds, with qualified coaches and kit."),
    ("Walking for health group", 900, "Macclesfield North", "Upton Priory estate", "health", 0.28,
     "Led walks twice a week for people who want to get more active, with trained volunteer walk leaders."),
    ("Men's Shed workshop tools", 5400, "Macclesfield East", "SK10 2", "community", 0.27,
     "Woodwork tools and safety gear for a Men's Shed where older men meet, make and mend."),
    ("Moss Rose play area resurfacing", 18500, "Macclesfield South", "Moss Rose estate", "children", 0.34,
     "Safe new surfacing and two new pieces of play equipment at the Moss Rose estate playground."),
    ("Older people's befriending service", 3200, "Macclesfield North", "Broken Cross and Upton", "older_people", 0.37,
     "Trained volunteers who visit or phone older people living alone every week."),
    ("Summer holiday lunches and activities", 8600, "Macclesfield Central and West", "Macclesfield West and Ivy", "children", 0.46,
     "Free lunches and activities for children during the summer holidays, in three local venues."),
    ("Digital skills drop-in for older residents", 2750, "Macclesfield Central and West", "Macclesfield Central", "older_people", 0.24,
     "A weekly drop-in at the library where volunteers help older residents with phones, tablets and online services."),
    ("Upton Priory litter pick and planting", 1350, "Macclesfield North", "Upton Priory estate", "green", 0.22,
     "Litter-picking kit and spring bulbs for residents who want to make the estate greener and cleaner."),
    ("Community bike repair workshop", 4200, "Macclesfield East", "Macclesfield East", "community", 0.23,
     "A monthly workshop where volunteers teach people to fix bikes, and donated bikes go to families who need them."),
    ("Weston Community Centre kitchen refurbishment", 12000, "Macclesfield South", "Weston", "community", 0.29,
     "A new kitchen so the community centre can host lunch clubs, cooking classes and events."),
    ("Family nature days in Macclesfield Forest", 2300, "Macclesfield East", "SK10 2", "green", 0.21,
     "Monthly guided nature days for families, with transport for those who have no car."),
    ("Carers' coffee mornings and respite", 1800, "Macclesfield Central and West", "Macclesfield West and Ivy", "older_people", 0.32,
     "Coffee mornings for unpaid carers with a sitting service, so carers get a few hours' break."),
]

# Easy Read summaries a proposer might write: one short sentence to a line.
EASY_READ = {
    "Bulbs for the Silk Road verges": "Volunteers will plant flower bulbs.\n"
                                      "The flowers will grow by the Silk Road.",
    "Chess club for all ages": "A chess club for everyone.\nIt meets once a week.\n"
                               "The money pays for chess sets and a room.",
    "Knit and natter group": "A group that meets to knit and chat.\nIt meets every week.\n"
                             "The money pays for wool, needles and tea.",
    "Junior parkrun volunteers' kit": "Parkrun is a free run in the park.\n"
                                      "The money pays for kit for the helpers.",
    "Community fridge": "A fridge that everyone can share.\n"
                        "Shops and neighbours put spare food in it.\nAnyone can take food.",
    "Bird boxes for South Park": "Children at a local school will make bird boxes.\n"
                                 "The boxes will go up in South Park.",
    "Dementia-friendly cinema afternoons": "Films in the afternoon, once a month.\n"
                                           "The lights stay on.\nThere is tea in the middle.",
    "After-school homework club": "A quiet room to do homework after school.\n"
                                  "Volunteers help.\nThere are laptops to use.",
}

SMALL_GRANTS = [
    ("Bulbs for the Silk Road verges", 450, "Macclesfield Central and West", "green",
     "Spring bulbs planted by volunteers along the Silk Road verges."),
    ("Chess club for all ages", 600, "Macclesfield North", "community",
     "Boards, clocks and a weekly room booking for a chess club open to everyone."),
    ("Knit and natter group", 350, "Macclesfield South", "older_people",
     "Wool, needles and tea for a weekly knitting group at Weston Community Centre."),
    ("Junior parkrun volunteers' kit", 800, "Macclesfield East", "children",
     "High-visibility vests, stopwatches and first-aid kits for the junior parkrun."),
    ("Community fridge", 1200, "Macclesfield Central and West", "community",
     "A shared fridge where shops and neighbours leave surplus food for anyone who needs it."),
    ("Bird boxes for South Park", 300, "Macclesfield South", "green",
     "Bird and bat boxes made by a local school and put up in South Park."),
    ("Dementia-friendly cinema afternoons", 950, "Macclesfield North", "older_people",
     "Monthly relaxed film screenings with the lights up and tea at the interval."),
    ("After-school homework club", 1100, "Macclesfield East", "children",
     "A quiet place with volunteers and laptops for children to do homework after school."),
]


# Rough shares for the demo's equality answers, in the order of QUESTIONS' options, then
# "prefer not to say" and "not answered".
EQUALITY_WEIGHTS = {
    "age_band": (2, 8, 14, 16, 17, 17, 15, 9, 3, 4),
    "sex": (52, 44, 1, 2, 3),
    "ethnicity": (3, 1, 2, 88, 1, 3, 4),
    "disability": (20, 72, 4, 4),
    "welsh_speaker": (2, 90, 2, 6),
}

IDEA_DETAIL = "An illustrative proposal for the demonstration."
IDEAS = [
    ("Repair café at the library", "Volunteers fix toasters, bikes and clothes once a month.",
     [("Tools and spare parts", 1_200_00), ("Room hire for 12 sessions", 600_00)], "submitted"),
    ("Walking football for over-60s", "Weekly sessions with a coach at the leisure centre.",
     [("Coach, 40 sessions", 2_000_00), ("Pitch hire", 1_000_00)], "changes_requested"),
]


def load(instance_path: str, ballots: int = 200, seed: int = 2015) -> None:
    """Create the demo council, partnerships, staff, three rounds and 200 ballots."""
    council = Council(name="Cheshire East Council", slug="cheshire-east")
    db.session.add(council)
    partnerships: dict[str, Partnership] = {}
    for name, areas in PARTNERSHIPS.items():
        p = Partnership(council=council, name=f"{name} Neighbourhood Partnership", slug=slugify(name))
        p.areas = [Area(name=a, kind="postcode_district" if a.startswith("SK") else
                        "estate" if "estate" in a else "ward") for a in areas]
        partnerships[name] = p
        db.session.add(p)
    db.session.flush()

    logins = _create_staff(council, partnerships)
    organiser = logins[1][2]

    decides = _round(council, "macclesfield-decides", "Macclesfield Decides", 100_000_00,
                     "On 15 October 2015, Macclesfield residents met and shared £100,000 between "
                     "community projects put forward by the four neighbourhood partnerships. "
                     "The projects shown are examples based on real Cheshire East projects, not "
                     "the actual 17 winners.")
    weights = {}
    for title, pounds, pname, area, category, weight, summary in PROJECTS:
        proposal = _proposal(decides, partnerships[pname], area, title, pounds * 100, category, summary)
        weights[proposal] = weight
    rounds.open_voting(organiser, decides)
    paper_codes = voting.issue_codes(organiser, decides, ballots, batch="PB day, 15 October 2015")
    rng = random.Random(seed)
    # Who voted how and where comes from its own generator, so the choices stay as they were:
    # most at the event, some on paper handed in at libraries, some online with a postcode.
    ways = random.Random(seed + 1)
    decides.equality_questions = True
    for code in paper_codes:
        chosen = _simulated_choice(rng, weights, decides.pot)
        channel = ways.choices(("kiosk", "paper", "online"), (6, 2, 2))[0]
        district = ways.choice(("SK10", "SK10", "SK11", "SK11", "SK17")) if channel == "online" \
            else None
        voting.cast_ballot(voting.find_credential(code).id, [p.id for p in chosen],
                           channel=channel, district=district)
        if ways.random() < 0.6:
            eligibility.record_equality(decides, {
                key: ways.choices([*options, PREFER_NOT, ""], EQUALITY_WEIGHTS[key])[0]
                for key, (_label, options) in QUESTIONS.items()})
    rounds.close_voting(organiser, decides)
    rounds.publish_results(organiser, decides)
    _report_delivery(logins, decides)

    grants = _round(council, "macclesfield-small-grants-2026", "Macclesfield Small Grants 2026",
                    5_000_00, "Small grants of up to £1,500 for community groups across Macclesfield. "
                    "Choose the projects you would like to see funded.")
    grants.award_max = 1_500_00
    # Residents vote with a code card, by giving a Macclesfield postcode, or at the event kiosk.
    grants.voting_methods = ["codes", "postcode", "kiosk"]
    grants.eligible_districts = ["SK10", "SK11"]
    grants.equality_questions = True
    for title, pounds, pname, category, summary in SMALL_GRANTS:
        _proposal(grants, partnerships[pname], None, title, pounds * 100, category, summary)
    rounds.open_voting(organiser, grants)
    _batch, open_codes = codes.make_batch(organiser, grants, 20, "Demo codes",
                                          current_app.config["BASE_URL"])

    ideas = _round(council, "macclesfield-decides-2027", "Macclesfield Decides 2027", 100_000_00,
                   "Ideas for next year's vote. Anyone can propose a project now.")
    ideas.award_min, ideas.award_max = 500_00, 10_000_00
    ideas.categories = ["health", "older_people", "children", "green", "community"]
    london = ZoneInfo("Europe/London")
    for name, when in (("proposals_open_at", datetime(2026, 11, 1)),
                       ("proposals_close_at", datetime(2027, 1, 31)),
                       ("shortlist_at", datetime(2027, 2, 28)),
                       ("voting_opens_at", datetime(2027, 3, 13, 10)),
                       ("voting_closes_at", datetime(2027, 3, 13, 16)),
                       ("results_at", datetime(2027, 3, 20)),
                       ("delivery_by", datetime(2028, 3, 31))):
        setattr(ideas, name, when.replace(tzinfo=london).astimezone(timezone.utc))
    ideas.open_proposals()
    member = logins[2][2]
    for title, summary, lines, status in IDEAS:
        data = proposals.ProposalInput(
            title=title, summary=summary, description=summary + " " + IDEA_DETAIL,
            cost=sum(amount for _item, amount in lines), cost_lines=lines, area="all",
            category="community", contact=member.email, proposer_type="partnership",
            partnership_id=partnerships["Macclesfield North"].id)
        proposal = proposals.save_and_submit(member, ideas, data)
        if status == "changes_requested":
            proposals.ask_for_changes(organiser, proposal, "Please add who will run the sessions "
                                      "and when.")

    path = Path(instance_path)
    path.mkdir(parents=True, exist_ok=True)
    (path / LOGINS_FILE).write_text("".join(f"{role}\t{email}\t{password}\n"
                                            for role, email, _u, password in logins))
    (path / CODES_FILE).write_text("".join(f"{c}\n" for c in open_codes))


def _report_delivery(logins, round_: Round) -> None:
    """Progress on three funded projects, as a partnership would report it."""
    member = logins[2][2]
    organiser = logins[1][2]
    funded = delivery.funded_projects(round_)
    if len(funded) < 3:
        return
    (first, award1), (second, award2), (third, _award3) = funded[:3]
    delivery.record_update(organiser, first, delivery.UpdateInput(
        status="delivered", spent_to_date=award1 - 35_00,
        outputs="88 residents attended healthy eating classes over 11 sessions.",
        savings_per_year=3_000_00, note="All sessions ran; the last was a shared lunch."))
    delivery.record_update(organiser, second, delivery.UpdateInput(
        status="in_progress", spent_to_date=award2 // 2,
        note="Equipment ordered; volunteers trained in November."))
    delivery.record_update(organiser, third, delivery.UpdateInput(
        status="withdrawn", spent_to_date=0,
        note="The venue closed; the group returned the award to the pot."))
    del member


def _create_staff(council: Council, partnerships: dict[str, Partnership]):
    north = partnerships["Macclesfield North"]
    people = [
        ("Council administrator", "admin@cheshireeast.example", "Ann Admin", None, COUNCIL_ADMIN),
        ("Organiser", "organiser@cheshireeast.example", "Olu Organiser", None, ORGANISER),
        ("Partnership member (Macclesfield North)", "member@macclesfield-north.example",
         "Mo Member", north.id, MEMBER),
        ("Scrutineer", "scrutineer@cheshireeast.example", "Sam Scrutineer", None, SCRUTINEER),
        ("Volunteer", "volunteer@macclesfield-north.example", "Val Volunteer", north.id, VOLUNTEER),
    ]
    logins = []
    for role_label, email, name, partnership_id, role in people:
        password = secrets.token_urlsafe(9)
        user = accounts.create_user(email, name, password, [(council.id, partnership_id, role)])
        logins.append((role_label, email, user, password))
    return logins


def _round(council: Council, slug: str, title: str, pot: int, description: str) -> Round:
    round_ = Round(council=council, slug=slug, title=title, pot=pot, currency="GBP",
                   description=description, ballot_type="knapsack", ballot_settings={},
                   rule="greedy", rule_settings={}, tie_break="chain")
    db.session.add(round_)
    db.session.flush()
    return round_


def _proposal(round_, partnership, area_name, title, cost, category, summary) -> Proposal:
    area = next((a for a in partnership.areas if a.name == area_name), None)
    proposal = Proposal(round=round_, partnership=partnership, area=area,
                        proposer_type="partnership", proposer_name=partnership.name,
                        title=title, summary=summary, cost=cost, category=category,
                        easy_read_summary=EASY_READ.get(title, ""),
                        contact="hello@" + partnership.slug + ".example", illustrative=True,
                        status=SHORTLISTED)
    db.session.add(proposal)
    db.session.flush()
    return proposal


def _simulated_choice(rng: random.Random, weights: dict[Proposal, float], pot: int):
    chosen = [p for p in sorted(weights, key=lambda p: p.id) if rng.random() < weights[p]]
    if not chosen:
        chosen = [max(weights, key=lambda p: (weights[p], -p.id))]
    while sum(p.cost for p in chosen) > pot:
        chosen.remove(max(chosen, key=lambda p: (p.cost, p.id)))
    return chosen


def describe(instance_path: str) -> str:
    """The demo logins and a few unused voting codes, for the person who just ran `make run`."""
    path = Path(instance_path)
    lines = []
    logins = path / LOGINS_FILE
    if logins.exists():
        lines.append("Demo staff logins (sign in at /auth/login):")
        for row in logins.read_text().splitlines():
            role, email, password = row.split("\t")
            lines.append(f"  {role:<42} {email:<38} {password}")
    codes_file = path / CODES_FILE
    if codes_file.exists():
        codes = codes_file.read_text().split()
        used = {h for (h,) in db.session.execute(
            select(VoterCredential.code_hash).where(VoterCredential.used_at.is_not(None)))}
        unused = [c for c in codes if voting.code_hash(c) not in used
                  and voting.legacy_code_hash(c) not in used][:5]
        if unused:
            lines.append("Unused voting codes for Macclesfield Small Grants 2026 (enter one at /vote):")
            lines.extend(f"  {c}" for c in unused)
        else:
            lines.append("All demo voting codes are used; an organiser can make more on the round page.")
    return "\n".join(lines)
