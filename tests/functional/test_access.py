"""Staff pages answer only to the staff they belong to."""

from __future__ import annotations

import pytest

from pb.extensions import db
from pb.models.user import COUNCIL_ADMIN, MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER
from tests import factories
from tests.functional.helpers import login


@pytest.fixture
def world(app):
    council, (north, south) = factories.council_with_partnerships()
    round_ = factories.round_(council, slug="decides")
    p = factories.proposal(round_, south, "Bench", 500_00, status="submitted")
    users = {
        "admin": factories.user(council, "admin@x.example", COUNCIL_ADMIN),
        "organiser": factories.user(council, "org@x.example", ORGANISER),
        "north-organiser": factories.user(council, "northorg@x.example", ORGANISER, north),
        "member": factories.user(council, "member@x.example", MEMBER, north),
        "scrutineer": factories.user(council, "scrut@x.example", SCRUTINEER),
        "volunteer": factories.user(council, "vol@x.example", VOLUNTEER, north),
    }
    db.session.commit()
    return round_, p, users


ORGANISER_ROUTES = [
    ("get", "/organise/decides"),
    ("post", "/organise/decides/proposals/{pid}/approve"),
    ("get", "/organise/decides/proposals/{pid}/reject"),
    ("post", "/organise/decides/open-voting"),
    ("get", "/organise/decides/codes"),
    ("post", "/organise/decides/codes"),
    ("post", "/organise/decides/close"),
    ("post", "/organise/decides/publish"),
]


@pytest.mark.parametrize("who", ["member", "scrutineer", "volunteer", "north-organiser"])
def test_non_organisers_cannot_reach_organiser_pages(client, world, who):
    round_, proposal, users = world
    login(client, users[who].email)
    for method, url in ORGANISER_ROUTES:
        response = getattr(client, method)(url.format(pid=proposal.id))
        assert response.status_code in (403, 404), (who, url, response.status_code)
    db.session.refresh(proposal)
    assert proposal.status == "submitted"


@pytest.mark.parametrize("who", ["admin", "organiser"])
def test_council_organisers_reach_organiser_pages(client, world, who):
    round_, proposal, users = world
    login(client, users[who].email)
    assert client.get("/organise/decides").status_code == 200


def test_anonymous_users_are_sent_to_sign_in(client, world):
    round_, proposal, users = world
    for method, url in ORGANISER_ROUTES + [("get", "/dashboard"), ("get", "/proposals/new/decides")]:
        response = getattr(client, method)(url.format(pid=proposal.id))
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url


def test_only_partnership_members_may_propose_for_a_partnership(client, world):
    round_, proposal, users = world
    login(client, users["volunteer"].email)
    page = client.get("/proposals/new/decides").get_data(as_text=True)
    assert "Neighbourhood partnership" not in page and "Community group" in page
    response = client.post("/proposals/new/decides", data={
        "proposer_type": "partnership", "partnership": proposal.partnership_id,
        "title": "Sneaky", "action": "draft"})
    assert response.status_code == 400
    assert "Choose who is proposing the project." in response.get_data(as_text=True)
    client.post("/auth/logout")
    login(client, users["member"].email)
    assert "Neighbourhood partnership" in client.get("/proposals/new/decides").get_data(
        as_text=True)


def test_sign_in_refuses_an_offsite_next(client, world):
    round_, proposal, users = world
    response = client.post("/auth/login?next=https://evil.example/",
                           data={"email": users["member"].email, "password": factories.PASSWORD})
    assert response.headers["Location"] == "/dashboard"


def test_state_changes_need_a_csrf_token(csrf_app, world):
    round_, proposal, users = world
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    from tests.conftest import csrf_token

    token = csrf_token(page)
    assert client.post("/auth/login", data={"email": users["organiser"].email,
                                            "password": factories.PASSWORD}).status_code == 400
    response = client.post("/auth/login", data={"email": users["organiser"].email,
                                                "password": factories.PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302
    assert client.post("/organise/decides/open-voting").status_code == 400
    db.session.refresh(round_)
    assert round_.status == "proposals"


def test_scrutineer_sees_closed_results_before_publication(client, world):
    from pb.services import rounds

    round_, proposal, users = world
    proposal.status = "shortlisted"
    rounds.open_voting(users["organiser"], round_)
    rounds.close_voting(users["organiser"], round_)
    db.session.commit()
    assert client.get("/results/decides").status_code == 404
    login(client, users["scrutineer"].email)
    assert "Results you can check" in client.get("/dashboard").get_data(as_text=True)
    preview = client.get("/results/decides")
    assert preview.status_code == 200 and "not public yet" in preview.get_data(as_text=True)
