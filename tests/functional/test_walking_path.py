"""The whole path a round takes, through the real pages: propose, approve, vote, count, publish."""

from __future__ import annotations

from sqlalchemy import func, select

from pb.extensions import db
from pb.models import AuditEntry, Ballot, Proposal, Round
from pb.models.user import MEMBER, ORGANISER
from tests import factories
from tests.functional.helpers import codes_on_page, login, logout, receipt_on_page


def test_proposal_to_published_result(app, client):
    council, (north, south) = factories.council_with_partnerships()
    factories.user(council, "member@north.example", MEMBER, north)
    factories.user(council, "organiser@council.example", ORGANISER)
    round_ = factories.round_(council, slug="decides", pot=10_000_00)
    factories.proposal(round_, south, "Dementia café", 6_000_00, status="submitted")
    factories.proposal(round_, south, "Lunch club", 1_000_00, status="submitted")
    db.session.commit()

    # A partnership member proposes a project.
    assert login(client, "member@north.example").status_code == 302
    response = client.post("/proposals/new/decides", data={
        "proposer_type": "partnership", "partnership": north.id, "title": "Green Gym",
        "summary": "Outdoor gym equipment.", "description": "Four outdoor machines.",
        "cost": "£4,500", "cost_lines-0-item": "Equipment", "cost_lines-0-amount": "4000",
        "cost_lines-1-item": "Fitting", "cost_lines-1-amount": "500", "area": "all",
        "category": "green", "contact": "gym@example.org", "action": "submit"})
    assert response.status_code == 302
    gym = db.session.scalars(select(Proposal).where(Proposal.title == "Green Gym")).one()
    assert (gym.cost, gym.status, gym.partnership_id) == (4_500_00, "submitted", north.id)
    logout(client)

    # The organiser approves the three proposals and opens voting.
    assert login(client, "organiser@council.example").status_code == 302
    page = client.get("/organise/decides")
    assert b"Green Gym" in page.data and b"Waiting for review" in page.data
    for proposal in db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id)):
        assert client.post(f"/organise/decides/proposals/{proposal.id}/approve").status_code == 302
        assert client.post(f"/organise/decides/proposals/{proposal.id}/shortlist"
                           ).status_code == 302
    assert client.post("/organise/decides/open-voting").status_code == 302
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "voting"

    response = client.post("/organise/decides/codes", data={"count": 4, "label": "Hall"})
    codes = codes_on_page(response.get_data(as_text=True))
    assert len(codes) == 4 and len(set(codes)) == 4
    logout(client)

    # Four residents vote; each ballot must fit the £10,000 pot.
    cafe, lunch = (db.session.scalars(select(Proposal).where(Proposal.title == t)).one()
                   for t in ("Dementia café", "Lunch club"))
    ballots = [[cafe.id, lunch.id], [cafe.id], [gym.id, lunch.id], [gym.id]]
    receipts = []
    for code, choice in zip(codes, ballots):
        resident = app.test_client()
        assert resident.post("/vote/", data={"code": code}).headers["Location"] == "/vote/ballot"
        assert b"Dementia caf" in resident.get("/vote/ballot").data
        response = resident.post("/vote/ballot", data={"projects": [str(c) for c in choice]})
        assert response.headers["Location"] == "/vote/review"
        review = resident.get("/vote/review").get_data(as_text=True)
        assert "Check your choices" in review
        response = resident.post("/vote/submit")
        assert response.headers["Location"] == "/vote/done"
        receipts.append(receipt_on_page(resident.get("/vote/done").get_data(as_text=True)))
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 4
    assert f"Yes. A ballot with receipt {receipts[0]} is in the count".encode() in client.get(
        f"/vote/receipt?receipt={receipts[0]}").data

    # Before publication, nobody outside the staff sees a count.
    assert client.get("/results/decides").status_code == 404

    # The organiser closes voting; the greedy rule counts; they publish.
    login(client, "organiser@council.example")
    assert client.post("/organise/decides/close").status_code == 302
    preview = client.get("/results/decides")
    assert preview.status_code == 200 and b"not public yet" in preview.data
    assert client.post("/organise/decides/publish").status_code == 302
    logout(client)

    public = client.get("/results/decides").get_data(as_text=True)
    # Votes: café 2, gym 2, lunch 2. Ties broken by lowest cost: lunch £1,000, gym £4,500,
    # then the café's £6,000 no longer fits in the £4,500 left.
    assert "£10,000" in public           # the pot
    assert "£5,500" in public            # allocated
    assert "£4,500 was left" in public   # the café's reason
    assert "Funded in step 1 with 2 votes." in public
    assert "Funded in step 2 with 2 votes." in public
    rows = public.split("<tbody>")[1]
    assert rows.index("Lunch club") < rows.index("Green Gym") < rows.index("Dementia café")
    assert "Tied with Green Gym" in public or "Tied with Lunch club" in public
    home = client.get("/").get_data(as_text=True)
    assert "Results of Round decides" in home

    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"proposal.submitted", "proposal.approved", "proposal.shortlisted",
            "round.voting_opened", "codes.issued",
            "round.voting_closed", "round.results_published"} <= actions


def test_organiser_is_asked_before_opening_voting_and_warned_of_waiting_proposals(app, client):
    council, (north,) = factories.council_with_partnerships(["North"])
    factories.user(council, "organiser@council.example", ORGANISER)
    round_ = factories.round_(council, slug="decides")
    approved = factories.proposal(round_, north, "Approved", 100_00)
    factories.proposal(round_, north, "Still waiting", 100_00, status="submitted")
    db.session.commit()
    login(client, "organiser@council.example")

    page = client.get("/organise/decides/open-voting")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Open voting?" in html
    assert "1 proposal is still waiting for review. It will not be on the ballot." in html
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "proposals"   # GET changed nothing

    client.post("/organise/decides/open-voting")
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "voting"
    history = client.get("/organise/decides").get_data(as_text=True)
    assert "Voting opened" in history
    client.post(f"/organise/decides/proposals/{approved.id}/approve")  # too late: refused
    assert "The ballot cannot change once voting has opened." in client.get(
        "/organise/decides").get_data(as_text=True)


def test_round_history_names_proposal_decisions_in_plain_words(app, client):
    council, (north,) = factories.council_with_partnerships(["North"])
    factories.user(council, "organiser@council.example", ORGANISER)
    factories.round_(council, slug="decides")
    p = factories.proposal(factories.round_(council, slug="other"), north, "Elsewhere", 100_00,
                           status="submitted")
    mine = factories.proposal(db.session.scalars(select(Round).where(Round.slug == "decides")).one(),
                              north, "Bench", 100_00, status="submitted")
    db.session.commit()
    login(client, "organiser@council.example")
    client.post(f"/organise/decides/proposals/{mine.id}/approve")
    client.post(f"/organise/other/proposals/{p.id}/approve")
    history = client.get("/organise/decides").get_data(as_text=True).split("<h2>History</h2>")[1]
    assert f"Proposal approved (proposal {mine.id})" in history
    assert f"(proposal {p.id})" not in history
    assert "proposal.approved" not in history
