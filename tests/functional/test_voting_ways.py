"""A new resident votes in each of the four ways (voting code, email link, postcode, event kiosk)
on each of the six ballot types, through the pages, and checks the receipt."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pb.extensions import db
from pb.models import Ballot
from pb.models.user import VOLUNTEER
from pb.services import voting
from tests import factories
from tests.conftest import Mailbox
from tests.functional.helpers import login, receipt_on_page

TYPES = ["approval", "knapsack", "choose-one", "ranking", "scoring", "points"]
WAYS = ["code", "email", "postcode", "kiosk"]


def _filled(ballot_type, a, b):
    """A valid ballot of each type, and the (proposal, value) pairs it should store."""
    return {
        "approval": ({"projects": [str(a.id), str(b.id)]}, [(a.id, 1), (b.id, 1)]),
        "knapsack": ({"projects": [str(b.id)]}, [(b.id, 1)]),
        "choose-one": ({"project": str(b.id)}, [(b.id, 1)]),
        "ranking": ({f"rank-{b.id}": "1", f"rank-{a.id}": "2"}, [(b.id, 1), (a.id, 2)]),
        "scoring": ({f"score-{a.id}": "4", f"score-{b.id}": "1"}, [(a.id, 4), (b.id, 1)]),
        "points": ({f"points-{a.id}": "6", f"points-{b.id}": "4"}, [(a.id, 6), (b.id, 4)]),
    }[ballot_type]


def _begin(way, client, round_, mailbox):
    """Start a ballot the way a resident would; the ballot page comes next."""
    if way == "code":
        [code] = voting.issue_codes(None, round_, 1)
        db.session.commit()
        return client.post("/vote/", data={"code": code})
    if way == "email":
        client.post(f"/vote/{round_.slug}/email",
                    data={"email": "new@example.org", "postcode": "SK11 6DA", "in_area": "y"})
        body = Mailbox.body(mailbox.to("new@example.org")[-1])
        link = re.search(r"http://localhost(/vote/\S+/link/\S+)", body).group(1)
        return client.post(link)
    if way == "postcode":
        return client.post(f"/vote/{round_.slug}/postcode",
                           data={"postcode": "SK10 1AA", "in_area": "y"})
    login(client, "val@north.example")
    client.post(f"/vote/kiosk/setup/{round_.slug}")
    return client.post("/vote/kiosk/begin")


@pytest.mark.parametrize("ballot_type", TYPES)
@pytest.mark.parametrize("way", WAYS)
def test_a_new_resident_votes_and_checks_the_receipt(app, mailbox, way, ballot_type):
    council, (north, _south) = factories.council_with_partnerships()
    factories.user(council, "val@north.example", VOLUNTEER, north)
    round_ = factories.round_(council, slug="ways", pot=10_000_00, status="voting",
                              partnership=north, ballot_type=ballot_type,
                              ballot_settings={"max_total_points": 10},
                              voting_methods=["codes", "email", "postcode", "kiosk"],
                              eligible_districts=["SK10", "SK11"])
    a = factories.proposal(round_, north, "Allotment beds", 3_000_00)
    b = factories.proposal(round_, north, "Bus shelter", 2_000_00)
    db.session.commit()
    client = app.test_client()

    started = _begin(way, client, round_, mailbox)
    assert started.status_code == 302 and started.location.endswith("/vote/ballot"), \
        started.get_data(as_text=True)[:2000]
    assert client.get("/vote/ballot").status_code == 200
    fields, stored = _filled(ballot_type, a, b)
    chosen = client.post("/vote/ballot", data=fields)
    assert chosen.status_code == 302, chosen.get_data(as_text=True)
    assert client.get("/vote/review").status_code == 200
    sent = client.post("/vote/submit")
    assert sent.status_code == 302
    page = client.get(sent.location).get_data(as_text=True)
    receipt = receipt_on_page(page)

    ballot = db.session.scalars(select(Ballot)).one()
    assert ballot.receipt == receipt
    assert ballot.channel == ("kiosk" if way == "kiosk" else "online")
    assert [(c.proposal_id, c.value) for c in ballot.choices] == stored
    if way in ("email", "postcode"):
        assert ballot.district in ("SK10", "SK11")
    checked = app.test_client().get(f"/vote/receipt?receipt={receipt}").get_data(as_text=True)
    assert "is in the count" in checked
    for title in ("Allotment beds", "Bus shelter"):
        assert title not in checked  # the receipt never shows the choices
