"""Found in a browser review: every problem shows at once, and each message says where it is."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import Area, Proposal, Round, User
from pb.models.user import ORGANISER
from pb.services import accounts
from tests import factories
from tests.functional.helpers import login

RESIDENT = "ann@example.org"


def test_sign_up_shows_a_bad_email_together_with_the_password_problems(client, app):
    response = client.post("/auth/register", data={
        "name": "Ann", "email": "not-an-email", "password": "short", "confirm": "other"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert '<a href="#email">Enter an email address like name@example.org.</a>' in summary
    assert '<a href="#password">Use a password of at least 10 characters.</a>' in summary
    assert '<a href="#confirm">The two passwords are not the same.' in summary
    assert 'id="email-error"' in html and 'value="not-an-email"' in html
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.fixture
def round_with_ward(app):
    council, (north, _south) = factories.council_with_partnerships()
    ward = Area(partnership=north, name="Broken Cross", kind="ward")
    db.session.add(ward)
    factories.user(council, "organiser@council.example", ORGANISER)
    accounts.create_user(RESIDENT, "Ann Resident", factories.PASSWORD, [])
    factories.round_(council, slug="ideas", pot=10_000_00)
    db.session.commit()
    return ward


def test_cost_line_messages_name_their_line_and_belong_to_their_box(client, round_with_ward):
    login(client, RESIDENT)
    response = client.post("/proposals/new/ideas", data={
        "proposer_type": "resident", "title": "Bench by the pond",
        "summary": "A bench for people to rest.", "description": "Oak.", "cost": "seven",
        "cost_lines-0-item": "Oak bench", "cost_lines-0-amount": "600",
        "cost_lines-1-item": "Plaque", "cost_lines-1-amount": "ten",
        "area": str(round_with_ward.id), "category": "green", "contact": "a@example.org",
        "action": "submit"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    # The amount asked for and line 2 have the same problem; the summary tells them apart.
    assert '<a href="#cost">Enter an amount in numbers' in html
    assert ('<a href="#cost_lines-1-amount">Cost breakdown, line 2: Enter an amount in numbers'
            in html)
    line = re.search(r'<input[^>]*id="cost_lines-1-amount"[^>]*>', html).group(0)
    assert 'aria-describedby="cost_lines-1-amount-error"' in line and 'value="ten"' in line
    assert 'id="cost_lines-1-amount-error"' in html
    # The whole breakdown is marked as having a problem, and every line keeps a visible label.
    assert 'class="form-group form-group-error" id="cost_lines"' in html
    assert '<label class="cost-line-label" for="cost_lines-0-item">Line 1: what it pays for' in html
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_proposal_list_has_a_heading_between_the_page_title_and_the_cards(client,
                                                                          round_with_ward):
    round_ = db.session.scalars(select(Round)).one()
    factories.proposal(round_, round_with_ward.partnership, "Green gym", 1_000_00)
    db.session.commit()
    html = client.get("/rounds/ideas/proposals").get_data(as_text=True)
    assert "Green gym" in html
    levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and 3 in levels
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
    assert "<h2>1 proposal</h2>" in html
