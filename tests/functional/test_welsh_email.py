"""Email goes out in the reader's language, not in the language of whoever caused it."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from pb.extensions import db
from pb.models import Follower, User
from pb.services import accounts
from tests.conftest import Mailbox
from tests.delivery_world import funded_world
from tests.functional.helpers import login, logout
from tests.functional.test_delivery import _post_update
from tests.functional.test_register import _form as register_form
from tests.functional.test_proposals import RESIDENT, _form, _only_proposal
from tests.functional.test_proposals import world as proposals_world  # noqa: F401

PO = Path(__file__).resolve().parents[2] / "pb" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def welsh():
    with PO.open("rb") as handle:
        catalogue = read_po(handle, locale="cy")

    def translate(english: str, **values) -> str:
        text = catalogue[english].string
        assert text and text != english, f"no Welsh for {english!r}"
        return text % values if values else text
    return translate


def test_a_proposer_who_chose_welsh_hears_in_welsh_from_an_english_organiser(
        app, client, proposals_world, mailbox, welsh):  # noqa: F811
    login(client, RESIDENT)
    client.get("/?lang=cy")  # the resident switches to Welsh while signed in
    db.session.expire_all()
    assert accounts.find_by_email(RESIDENT).locale == "cy"
    assert client.post("/proposals/new/ideas", data=_form(proposals_world)).status_code == 302
    logout(client)
    proposal = _only_proposal()

    organiser = app.test_client()
    organiser.get("/?lang=en")
    login(organiser, "organiser@council.example")
    assert organiser.post(f"/organise/ideas/proposals/{proposal.id}/approve").status_code == 302

    sent, approved = mailbox.to(RESIDENT)
    title = "Bench by the pond"
    assert sent["Subject"] == welsh("We have your proposal: %(title)s", title=title)
    assert approved["Subject"] == welsh("Your proposal has been approved: %(title)s", title=title)
    body = Mailbox.body(approved)
    assert welsh("Hello %(name)s,", name="Ann Resident") in body
    assert "Hello" not in body


def test_an_account_made_on_a_welsh_page_gets_welsh_email(client):
    client.get("/?lang=cy")
    response = client.post("/auth/register", data=register_form(email="ceri@example.org"))
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "ceri@example.org")).one()
    assert user.locale == "cy"
    client.get("/?lang=en")  # and switching back while signed in is remembered too
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"


def test_delivery_updates_reach_a_welsh_follower_in_welsh(app, client, mailbox, welsh):
    world = funded_world()
    resident = app.test_client()
    resident.get("/?lang=cy")
    assert resident.post("/delivery/decides/follow",
                         data={"email": "ann@example.org"}).status_code == 302
    (confirmation,) = mailbox.to("ann@example.org")
    assert confirmation["Subject"] == welsh("Confirm you want updates on %(round)s",
                                            round="Round decides")
    db.session.expire_all()
    follower = db.session.scalars(select(Follower)).one()
    assert follower.locale == "cy"
    follower.confirmed_at = follower.created_at
    db.session.commit()

    login(client, "member@north.example")  # an English session reports progress
    assert _post_update(client, world.lunch).status_code == 302
    update = mailbox.to("ann@example.org")[-1]
    assert update["Subject"] == welsh("Update on %(title)s", title=world.lunch.title)
