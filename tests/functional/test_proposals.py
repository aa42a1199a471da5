"""A proposal's life through the pages: draft, edit, send, moderate, shortlist, withdraw."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import Area, AuditEntry, Photo, Proposal, ProposalEvent
from pb.models.user import MEMBER, ORGANISER
from pb.services import accounts
from tests import factories
from tests.conftest import Mailbox
from tests.functional.helpers import login, logout

RESIDENT = "ann@example.org"


@pytest.fixture
def world(app):
    council, (north, south) = factories.council_with_partnerships()
    ward = Area(partnership=north, name="Broken Cross", kind="ward")
    db.session.add(ward)
    factories.user(council, "organiser@council.example", ORGANISER)
    factories.user(council, "member@north.example", MEMBER, north)
    accounts.create_user(RESIDENT, "Ann Resident", factories.PASSWORD, [])
    round_ = factories.round_(council, slug="ideas", pot=10_000_00)
    round_.award_min, round_.award_max = 500_00, 5_000_00
    db.session.commit()
    return {"round": round_, "north": north, "ward": ward}


def _form(world, **overrides):
    data = {"proposer_type": "community_group", "proposer_name": "Friends of the Park",
            "title": "Bench by the pond", "summary": "A bench for people to rest.",
            "description": "Oak, with a plaque.", "cost": "750",
            "cost_lines-0-item": "Oak bench", "cost_lines-0-amount": "600",
            "cost_lines-1-item": "Plaque", "cost_lines-1-amount": "150",
            "area": str(world["ward"].id), "category": "green", "contact": "park@example.org",
            "action": "submit"}
    data.update(overrides)
    return data


def _only_proposal() -> Proposal:
    db.session.expire_all()
    return db.session.scalars(select(Proposal)).one()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 120, 0)).save(out, format="PNG")
    return out.getvalue()


def test_resident_saves_a_draft_then_finishes_and_sends_it(client, world, mailbox):
    login(client, RESIDENT)
    response = client.post("/proposals/new/ideas", data={
        "proposer_type": "resident", "title": "Bench by the pond", "action": "draft"})
    assert response.status_code == 302
    draft = _only_proposal()
    assert (draft.status, draft.proposer_type, draft.proposer_name) == \
        ("draft", "resident", "Ann Resident")
    assert response.headers["Location"] == f"/proposals/{draft.id}"
    page = client.get(f"/proposals/{draft.id}").get_data(as_text=True)
    assert "Draft, not sent yet" in page and "Before you can send it:" in page and "<li>Enter a short summary.</li>" in page
    assert client.get(f"/projects/{draft.id}").status_code == 200  # the proposer sees it
    logout(client)
    assert client.get(f"/projects/{draft.id}").status_code == 404  # the public does not
    assert mailbox.messages == []  # a draft sends nothing

    login(client, RESIDENT)
    edit = client.get(f"/proposals/{draft.id}/edit").get_data(as_text=True)
    assert 'value="Bench by the pond"' in edit
    response = client.post(f"/proposals/{draft.id}/edit", data=_form(world))
    assert response.status_code == 302, response.get_data(as_text=True)
    sent = _only_proposal()
    assert sent.id == draft.id and sent.status == "submitted" and sent.cost == 750_00
    assert [(line.item, line.amount) for line in sent.cost_lines] == [("Oak bench", 600_00),
                                                                        ("Plaque", 150_00)]
    assert sent.proposer_type == "community_group" and sent.proposer_name == "Friends of the Park"
    (email,) = mailbox.to(RESIDENT)
    assert email["Subject"] == "We have your proposal: Bench by the pond"
    assert f"/proposals/{sent.id}" in Mailbox.body(email)
    # Once sent, it cannot be edited until the organisers ask for changes.
    assert client.get(f"/proposals/{sent.id}/edit").status_code == 302
    response = client.post(f"/proposals/{sent.id}/edit", data=_form(world, title="Changed"))
    assert _only_proposal().title == "Bench by the pond"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"cost": "400", "cost_lines-0-amount": "250"}, "cost", "can ask for £500 to £5,000"),
        ({"cost": "5000.01", "cost_lines-0-amount": "4850.01"}, "cost", "£500 to £5,000"),
        ({"cost": "-750"}, "cost", "Enter an amount greater than zero."),
        ({"cost": "seven hundred"}, "cost", "Enter an amount in numbers"),
        ({"cost_lines-1-amount": "100"}, "cost_lines", "adds up to £700, but you asked for £750"),
        ({"cost_lines-1-amount": "ten"}, "cost_lines-1-amount", "Enter an amount in numbers"),
        ({"cost_lines-1-amount": ""}, "cost_lines", "Give an amount for “Plaque”"),
        ({"summary": "x" * 281}, "summary", "280 characters or fewer"),
        ({"description": ""}, "description", "Describe the project"),
        ({"area": ""}, "area", "Choose an area."),
        ({"area": "99999"}, "area", "Choose one of the areas"),
        ({"category": "weapons"}, "category", "Choose one of the categories"),
        ({"contact": ""}, "contact", "Enter a contact email or phone number."),
        ({"proposer_name": ""}, "proposer_name", "Enter the name of your group."),
    ],
    ids=["under-band", "penny-over-band", "negative", "words", "breakdown-mismatch",
         "line-words", "line-without-amount", "long-summary", "no-description", "no-area",
         "unknown-area", "unknown-category", "no-contact", "group-without-name"],
)
def test_bad_proposal_input_keeps_what_was_typed(client, world, overrides, field, message):
    login(client, RESIDENT)
    response = client.post("/proposals/new/ideas", data=_form(world, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert f'href="#{field}"' in html
    assert 'value="Bench by the pond"' in html
    assert "Oak, with a plaque." in html or "description" in overrides
    assert 'value="Oak bench"' in html and 'value="Plaque"' in html
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_add_another_line_keeps_everything_and_saves_nothing(client, world):
    login(client, RESIDENT)
    response = client.post("/proposals/new/ideas", data=_form(world, action="add_line"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="cost_lines-3-item"' in html and 'value="Plaque"' in html
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_photo_is_reencoded_and_a_bad_file_is_refused_at_the_field(client, world):
    login(client, RESIDENT)
    response = client.post("/proposals/new/ideas", content_type="multipart/form-data",
                           data=_form(world, photo=(io.BytesIO(b"<script>alert(1)</script>"),
                                                    "bench.jpg")))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The file must be a photo in JPEG, PNG, WebP or GIF format." in html
    assert 'href="#photo"' in html and 'value="Bench by the pond"' in html
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0

    response = client.post("/proposals/new/ideas", content_type="multipart/form-data",
                           data=_form(world, photo=(io.BytesIO(_png()), "bench.png")))
    assert response.status_code == 302
    proposal = _only_proposal()
    served = client.get(f"/photos/{proposal.photo_id}.jpg")
    assert served.headers["Content-Type"] == "image/jpeg" and served.data[:2] == b"\xff\xd8"


def test_script_in_any_text_is_shown_escaped(client, world, mailbox):
    login(client, RESIDENT)
    client.post("/proposals/new/ideas", data=_form(
        world, title="<script>alert('t')</script>", summary="<img src=x onerror=alert(1)>",
        proposer_name="<b>Group</b>"))
    proposal = _only_proposal()
    for url in (f"/projects/{proposal.id}", f"/proposals/{proposal.id}",
                "/rounds/ideas/proposals"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Group" not in html
        assert "&lt;script&gt;" in html


def _send(client, world) -> Proposal:
    login(client, RESIDENT)
    assert client.post("/proposals/new/ideas", data=_form(world)).status_code == 302
    logout(client)
    return _only_proposal()


def test_moderation_steps_reach_the_proposer_by_email_and_history(client, world, mailbox):
    proposal = _send(client, world)
    login(client, "organiser@council.example")
    base = f"/organise/ideas/proposals/{proposal.id}"
    assert "Oak bench" in client.get(base).get_data(as_text=True)

    # Ask for changes: a note is needed.
    response = client.post(f"{base}/changes", data={"changes-note": ""})
    assert response.status_code == 400 and "Say what should change." in \
        response.get_data(as_text=True)
    assert client.post(f"{base}/changes", data={
        "changes-note": "Please say where the bench goes."}).status_code == 302
    assert _only_proposal().status == "changes_requested"
    logout(client)

    # The proposer sees the note, changes the proposal and sends it again.
    login(client, RESIDENT)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Please say where the bench goes." in page and "Changes asked for" in page
    history = page.split("<h2>History</h2>")[1]
    assert history.index("Draft saved") < history.index("Sent for review") < \
        history.index("Changes asked for")
    assert client.post(f"/proposals/{proposal.id}/edit", data=_form(
        world, description="Oak, with a plaque, beside the pond's north path.")
    ).status_code == 302
    assert _only_proposal().status == "submitted"
    logout(client)

    # Approve, adjust the cost with a reason, shortlist.
    login(client, "organiser@council.example")
    assert client.post(f"{base}/approve").status_code == 302
    response = client.post(f"{base}/cost", data={"cost-amount": "700", "cost-reason": ""})
    assert response.status_code == 400 and "Say why the amount changes" in \
        response.get_data(as_text=True) and 'value="700"' in response.get_data(as_text=True)
    response = client.post(f"{base}/cost", data={"cost-amount": "20000", "cost-reason": "x"})
    assert response.status_code == 400 and "more than the whole pot" in \
        response.get_data(as_text=True)
    assert client.post(f"{base}/cost", data={
        "cost-amount": "700", "cost-reason": "The plaque is donated."}).status_code == 302
    assert client.post(f"{base}/shortlist").status_code == 302
    shortlisted = _only_proposal()
    assert (shortlisted.status, shortlisted.cost, shortlisted.requested_cost) == \
        ("shortlisted", 700_00, 750_00)

    subjects = [m["Subject"] for m in mailbox.to(RESIDENT)]
    assert subjects == [
        "We have your proposal: Bench by the pond",
        "Please change your proposal: Bench by the pond",
        "We have your proposal: Bench by the pond",
        "Your proposal has been approved: Bench by the pond",
        "The amount for your proposal has changed: Bench by the pond",
        "Your proposal is on the ballot: Bench by the pond",
    ]
    changes_mail = Mailbox.body(mailbox.to(RESIDENT)[1])
    assert "Please say where the bench goes." in changes_mail
    assert f"/proposals/{proposal.id}/edit" in changes_mail
    cost_mail = Mailbox.body(mailbox.to(RESIDENT)[4])
    assert "from £750 to £700" in cost_mail and "The plaque is donated." in cost_mail

    actions = [e.action for e in db.session.scalars(
        select(ProposalEvent).where(ProposalEvent.proposal_id == proposal.id)
        .order_by(ProposalEvent.id))]
    assert actions == ["created", "submitted", "changes_requested", "edited", "submitted",
                       "approved", "cost_adjusted", "shortlisted"]
    audited = set(db.session.scalars(select(AuditEntry.action)))
    assert {"proposal.changes_requested", "proposal.approved", "proposal.cost_adjusted",
            "proposal.shortlisted"} <= audited
    logout(client)
    public = client.get(f"/projects/{proposal.id}").get_data(as_text=True)
    assert "On the ballot" in public and "£700" in public
    assert "The proposer asked for £750" in public
    assert "park@example.org" not in public  # the contact is for the organisers only


def test_rejection_needs_a_reason_and_tells_the_proposer(client, world, mailbox):
    proposal = _send(client, world)
    login(client, "organiser@council.example")
    base = f"/organise/ideas/proposals/{proposal.id}"
    assert client.post(f"{base}/reject", data={"reject-reason": " "}).status_code == 400
    assert _only_proposal().status == "submitted"
    assert client.post(f"{base}/reject", data={
        "reject-reason": "Benches are paid for by the parks budget."}).status_code == 302
    assert _only_proposal().status == "rejected"
    last = mailbox.to(RESIDENT)[-1]
    assert last["Subject"].startswith("Your proposal will not be on the ballot")
    assert "Benches are paid for by the parks budget." in Mailbox.body(last)


def test_shortlisting_needs_approval_first_and_can_be_undone_before_voting(client, world):
    proposal = _send(client, world)
    login(client, "organiser@council.example")
    base = f"/organise/ideas/proposals/{proposal.id}"
    client.post(f"{base}/shortlist")
    assert _only_proposal().status == "submitted"
    page = client.get(base).get_data(as_text=True)
    assert "Approve a proposal before putting it on the ballot." in page
    client.post(f"{base}/approve")
    client.post(f"{base}/shortlist")
    assert _only_proposal().status == "shortlisted"
    client.post(f"{base}/unshortlist")
    assert _only_proposal().status == "approved"
    assert "proposal.unshortlisted" in set(db.session.scalars(select(AuditEntry.action)))


def test_proposer_withdraws_before_voting_but_not_after(client, world):
    proposal = _send(client, world)
    login(client, RESIDENT)
    page = client.get(f"/proposals/{proposal.id}/withdraw")
    assert page.status_code == 200 and "Withdraw your proposal?" in page.get_data(as_text=True)
    assert _only_proposal().status == "submitted"  # asking changed nothing
    assert client.post(f"/proposals/{proposal.id}/withdraw").status_code == 302
    assert _only_proposal().status == "withdrawn"
    client.get(f"/proposals/{proposal.id}")  # shows the flash message
    assert "Bench by the pond" not in client.get("/rounds/ideas/proposals").get_data(as_text=True)
    assert "proposal.withdrawn" in set(db.session.scalars(select(AuditEntry.action)))


def test_withdrawing_after_voting_opens_is_refused(client, world):
    proposal = _send(client, world)
    proposal.status = "shortlisted"
    world["round"].status = "voting"
    db.session.commit()
    login(client, RESIDENT)
    response = client.post(f"/proposals/{proposal.id}/withdraw")
    assert response.status_code == 400
    assert "The ballot cannot change once voting has opened." in response.get_data(as_text=True)
    assert _only_proposal().status == "shortlisted"


def test_other_people_cannot_see_or_change_a_proposal_before_it_is_sent(client, world):
    login(client, RESIDENT)
    client.post("/proposals/new/ideas", data={"proposer_type": "resident", "title": "Mine",
                                              "action": "draft"})
    draft = _only_proposal()
    logout(client)
    login(client, "member@north.example")
    for url in (f"/proposals/{draft.id}", f"/proposals/{draft.id}/edit",
                f"/projects/{draft.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/proposals/{draft.id}/withdraw").status_code == 404
    assert client.post(f"/proposals/{draft.id}/edit", data=_form(world)).status_code == 404
    logout(client)
    login(client, "organiser@council.example")  # not even the organisers see a draft
    assert client.get(f"/organise/ideas/proposals/{draft.id}").status_code == 404
    assert client.post(f"/organise/ideas/proposals/{draft.id}/approve").status_code == 404
    assert _only_proposal().title == "Mine" and _only_proposal().status == "draft"


def test_a_round_that_stopped_taking_proposals_keeps_the_typed_form(client, world):
    login(client, RESIDENT)
    world["round"].status = "review"
    db.session.commit()
    response = client.post("/proposals/new/ideas", data=_form(world))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This round is not taking proposals now." in html and "Oak, with a plaque." in html


def test_partnership_member_proposes_for_their_partnership(client, world):
    login(client, "member@north.example")
    response = client.post("/proposals/new/ideas", data=_form(
        world, proposer_type="partnership", partnership=world["north"].id, proposer_name=""))
    assert response.status_code == 302
    proposal = _only_proposal()
    assert proposal.partnership_id == world["north"].id
    assert proposal.proposer_name == "North Partnership"


def test_public_browse_filters_by_area_category_and_status(client, world):
    round_, north = world["round"], world["north"]
    a = factories.proposal(round_, north, "Green gym", 1_000_00, status="shortlisted")
    a.area, a.category = world["ward"], "green"
    b = factories.proposal(round_, north, "Lunch club", 900_00, status="submitted")
    b.category, b.whole_round = "older_people", True
    factories.proposal(round_, north, "Secret draft", 900_00, status="draft")
    db.session.commit()

    def titles(query=""):
        html = client.get(f"/rounds/ideas/proposals{query}").get_data(as_text=True)
        return [t for t in ("Green gym", "Lunch club", "Secret draft") if t in html]

    assert titles() == ["Green gym", "Lunch club"]
    assert titles(f"?area={world['ward'].id}") == ["Green gym"]
    assert titles("?area=all") == ["Lunch club"]
    assert titles("?category=older_people") == ["Lunch club"]
    assert titles("?status=shortlisted") == ["Green gym"]
    assert titles("?status=draft") == ["Green gym", "Lunch club"]  # drafts never shown
    assert titles("?area=<script>&category=%00&status=x") == []
    assert client.get("/rounds/nope/proposals").status_code == 404
    page = client.get("/rounds/ideas/proposals?category=green").get_data(as_text=True)
    assert re.search(r'<option value="green" selected>', page)


def test_project_page_shows_the_result_once_published(client, world):
    from pb.services import rounds, voting

    round_, north = world["round"], world["north"]
    won = factories.proposal(round_, north, "Green gym", 1_000_00)
    lost = factories.proposal(round_, north, "Skate park", 9_500_00)
    organiser = db.session.scalars(select(accounts.User).where(
        accounts.User.email == "organiser@council.example")).one()
    rounds.open_voting(organiser, round_)
    for code, choice in zip(voting.issue_codes(organiser, round_, 2), ([won.id], [lost.id])):
        voting.cast_ballot(voting.find_credential(code).id, choice)
    rounds.close_voting(organiser, round_)
    db.session.commit()
    assert "Funded" not in client.get(f"/projects/{won.id}").get_data(as_text=True)
    rounds.publish_results(organiser, round_)
    db.session.commit()
    won_page = client.get(f"/projects/{won.id}").get_data(as_text=True)
    assert "Funded" in won_page and "Awarded £1,000." in won_page
    lost_page = client.get(f"/projects/{lost.id}").get_data(as_text=True)
    assert "Not funded" in lost_page
    listing = client.get("/rounds/ideas/proposals").get_data(as_text=True)
    assert "Funded" in listing and "Not funded" in listing
