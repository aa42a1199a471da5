"""The issue's whole path through the pages, by new people: from a new partnership to a
delivered project on the public progress page, with every email read at a real SMTP server."""

from __future__ import annotations

import re

from sqlalchemy import select

from pb.extensions import db
from pb.models import Partnership, Proposal, Round
from pb.models.user import COUNCIL_ADMIN
from tests import factories
from tests.conftest import Mailbox
from tests.functional.helpers import codes_on_page, login, logout

MEMBER_EMAIL = "maya@broken-cross.example"
MEMBER_PASSWORD = "a long enough password"


def _link(mailbox, address: str, pattern: str) -> str:
    body = Mailbox.body(mailbox.to(address)[-1])
    match = re.search(r"https?://[^/\s]+(" + pattern + r"\S*)", body)
    assert match, body
    return match.group(1)


def test_from_a_new_partnership_to_a_delivered_project(app, client, mailbox):
    council, _parts = factories.council_with_partnerships(names=())
    factories.user(council, "admin@council.example", COUNCIL_ADMIN)
    db.session.commit()

    # The council administrator creates a partnership with its areas.
    login(client, "admin@council.example")
    response = client.post("/organise/partnerships/new", data={
        "name": "Broken Cross and Upton", "wards": "Broken Cross\nUpton",
        "postcode_districts": "sk10", "estates": "", "villages": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    partnership = db.session.scalars(select(Partnership)).one()
    assert sorted(a.name for a in partnership.areas) == ["Broken Cross", "SK10", "Upton"]

    # ... and invites a member, who follows the link in the email and makes an account.
    assert client.post(f"/organise/partnerships/{partnership.id}/invite",
                       data={"email": MEMBER_EMAIL, "role": "member"}).status_code == 302
    logout(client)
    invitation = _link(mailbox, MEMBER_EMAIL, "/auth/invitations/")
    response = client.post(invitation, data={"name": "Maya Member", "password": MEMBER_PASSWORD,
                                             "confirm": MEMBER_PASSWORD})
    assert response.status_code == 302
    logout(client)

    # The administrator opens a round with an award band and starts taking proposals.
    login(client, "admin@council.example")
    response = client.post("/organise/rounds/new", data={
        "title": "Upton Decides", "partnership": 0, "pot": "10,000", "currency": "GBP",
        "award_min": "500", "award_max": "5,000", "categories": ["health", "green"],
        "ballot_type": "approval", "rule": "greedy", "tie_break": "chain",
        "voting_methods": ["codes"]})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.post("/organise/upton-decides/open-proposals").status_code == 302
    logout(client)

    # The member drafts a proposal, then edits and sends it.
    client.post("/auth/login", data={"email": MEMBER_EMAIL, "password": MEMBER_PASSWORD})
    ward = next(a for a in partnership.areas if a.name == "Upton")
    assert client.post("/proposals/new/upton-decides", data={
        "proposer_type": "partnership", "partnership": partnership.id,
        "title": "Healthy eating classes", "action": "draft"}).status_code == 302
    proposal = db.session.scalars(select(Proposal)).one()
    response = client.post(f"/proposals/{proposal.id}/edit", data={
        "proposer_type": "partnership", "partnership": partnership.id,
        "title": "Healthy eating classes", "summary": "Cooking on a budget, for families.",
        "description": "Eleven weekly sessions at Upton Priory school.", "cost": "3,000",
        "cost_lines-0-item": "Tutor, 11 sessions", "cost_lines-0-amount": "2,200",
        "cost_lines-1-item": "Ingredients", "cost_lines-1-amount": "800",
        "area": str(ward.id), "category": "health", "contact": MEMBER_EMAIL,
        "action": "submit"})
    assert response.status_code == 302, response.get_data(as_text=True)
    logout(client)

    # The administrator approves it, puts it on the ballot and opens voting.
    login(client, "admin@council.example")
    for step in ("approve", "shortlist"):
        assert client.post(f"/organise/upton-decides/proposals/{proposal.id}/{step}"
                           ).status_code == 302
    assert client.post("/organise/upton-decides/open-voting").status_code == 302
    codes = codes_on_page(client.post("/organise/upton-decides/codes",
                                      data={"count": 3}).get_data(as_text=True))
    logout(client)
    for code in codes:
        resident = app.test_client()
        resident.post("/vote/", data={"code": code})
        resident.post("/vote/ballot", data={"projects": [str(proposal.id)]})
        assert resident.post("/vote/submit").headers["Location"] == "/vote/done"
    login(client, "admin@council.example")
    assert client.post("/organise/upton-decides/close").status_code == 302
    assert client.post("/organise/upton-decides/publish").status_code == 302
    logout(client)

    # After the vote the member records delivery; the public progress page shows it.
    client.post("/auth/login", data={"email": MEMBER_EMAIL, "password": MEMBER_PASSWORD})
    assert "Healthy eating classes" in client.get("/dashboard").get_data(as_text=True)
    response = client.post(f"/delivery/projects/{proposal.id}/update", data={
        "status": "delivered", "spent_to_date": "2,965",
        "outputs": "88 residents attended healthy eating classes over 11 sessions"})
    assert response.status_code == 302, response.get_data(as_text=True)
    logout(client)
    progress = client.get("/delivery/upton-decides").get_data(as_text=True)
    assert "88 residents attended healthy eating classes over 11 sessions" in progress
    assert "£2,965" in progress and "£3,000" in progress

    # Every step that concerns the member reached them by email.
    subjects = [m["Subject"] for m in mailbox.to(MEMBER_EMAIL)]
    assert subjects[0] == "Join Broken Cross and Upton"
    assert subjects[1:] == ["We have your proposal: Healthy eating classes",
                            "Your proposal has been approved: Healthy eating classes",
                            "Your proposal is on the ballot: Healthy eating classes"]
    assert db.session.scalars(select(Round)).one().status == "published"
