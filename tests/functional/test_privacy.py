"""The privacy notice, its links, and the retention period in a round's settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pb.extensions import db
from pb.models import AuditEntry
from pb.models.round import PUBLISHED
from pb.models.types import utcnow
from pb.vote.state import EQUALITY
from tests import factories
from tests.functional.helpers import login
from tests.functional.test_rounds import _form, _round, council  # noqa: F401  (fixture)

NOTICE_LINK = 'href="/privacy"'


# --- The retention period in the round's settings ----------------------------------------------

def test_a_new_round_keeps_personal_data_90_days_unless_the_organiser_says(client, council):  # noqa: F811
    login(client, "organiser@council.example")
    page = client.get("/organise/rounds/new").get_data(as_text=True)
    assert 'name="personal_data_retention_days"' in page and 'value="90"' in page
    assert NOTICE_LINK in page
    response = client.post("/organise/rounds/new",
                           data=_form(personal_data_retention_days="30"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _round().personal_data_retention_days == 30
    created = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.created")).one()
    assert created.details["personal_data_retention_days"] == 30
    # A form from before the setting existed keeps the default.
    client.post("/organise/rounds/new", data=_form(title="Older form"))
    assert _round("older-form").personal_data_retention_days == 90


@pytest.mark.parametrize(("typed", "message"), [
    ("0", "from 1 to 730"), ("731", "from 1 to 730"), ("", "from 1 to 730"),
    ("ninety", "Enter a whole number"),
], ids=["zero", "over-two-years", "empty", "words"])
def test_a_bad_retention_period_is_refused_beside_the_field(client, council, typed, message):  # noqa: F811
    login(client, "organiser@council.example")
    response = client.post("/organise/rounds/new",
                           data=_form(personal_data_retention_days=typed))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'href="#personal_data_retention_days"' in html
    assert 'id="personal_data_retention_days-error"' in html
    assert f'value="{typed}"' in html and 'value="Small Grants 2027"' in html


def test_the_period_can_change_after_voting_opens_and_the_change_is_audited(client, council):  # noqa: F811
    login(client, "organiser@council.example")
    client.post("/organise/rounds/new", data=_form(ballot_type="approval", rule="greedy"))
    round_ = _round()
    factories.proposal(round_, council.partnerships[0], "Bench", 200_00)
    round_.status = "voting"
    db.session.commit()
    response = client.post("/organise/small-grants-2027/settings",
                           data={"title": "Small Grants 2027",
                                 "personal_data_retention_days": "180"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _round().personal_data_retention_days == 180
    updated = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.updated")).one()
    assert updated.details["changed"] == {"personal_data_retention_days": 180}
    assert updated.actor == "organiser@council.example"
    refused = client.post("/organise/small-grants-2027/settings",
                          data={"title": "Small Grants 2027",
                                "personal_data_retention_days": "-3"})
    assert refused.status_code == 400 and 'value="-3"' in refused.get_data(as_text=True)
    assert _round().personal_data_retention_days == 180


# --- The notice --------------------------------------------------------------------------------

@pytest.fixture
def rounds_(app):
    council_, (north,) = factories.council_with_partnerships(["North"])
    voting = factories.round_(council_, slug="open-vote", status="voting",
                              voting_methods=["email", "postcode"], equality_questions=True)
    voting.title = "Open Vote 2027"
    published = factories.round_(council_, slug="done-vote", status=PUBLISHED,
                                 personal_data_retention_days=45)
    published.title = "Done Vote 2026"
    published.voting_closed_at = utcnow() - timedelta(days=20)
    published.published_at = published.voting_closed_at + timedelta(days=1)
    purged = factories.round_(council_, slug="old-vote", status=PUBLISHED)
    purged.title, purged.personal_data_purged_at = "Old Vote 2020", utcnow()
    draft = factories.round_(council_, slug="draft-vote", status="draft")
    draft.title = "Draft Vote"
    factories.proposal(voting, north, "Bench", 100_00)
    db.session.commit()
    return {"voting": voting, "published": published}


def test_the_notice_says_what_is_kept_why_for_how_long_and_who_to_ask(client, rounds_):
    response = client.get("/privacy")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for words in ("Your vote is anonymous", "What we keep and why", "Who can see it",
                  "How long we keep it", "Your rights and who to contact",
                  "only a keyed hash", "in shuffled order", "Test Council",
                  "data protection officer", "90 days unless the organisers choose otherwise"):
        assert words in html, words
    # Each round that still holds personal data, with its own period.
    table = html.split("Rounds that still hold personal data")[1].split("</table>")[0]
    assert "Open Vote 2027" in table and "Done Vote 2026" in table
    open_row = table.split("Open Vote 2027")[1].split("</tr>")[0]
    assert "90 days" in open_row and "counted from when the results are published" in open_row
    done_row = table.split("Done Vote 2026")[1].split("</tr>")[0]
    due = rounds_["published"].published_at + timedelta(days=45)
    assert "45 days" in done_row and due.strftime("%-d %B %Y") in done_row
    assert "Old Vote 2020" not in html and "Draft Vote" not in html  # purged; never voted


def test_the_notice_has_an_easy_read_version(client, rounds_):
    with client.session_transaction() as session:
        session["easy_read"] = True
    html = client.get("/privacy").get_data(as_text=True)
    assert "Your vote is secret." in html and "Nobody can see how you voted." in html
    assert "Questions? Ask Test Council." in html
    assert "45 days" in html  # the periods are shown in Easy Read too


@pytest.mark.parametrize("path", ["/", "/privacy", "/vote/", "/auth/login", "/no-such-page"])
def test_every_page_links_to_the_notice_in_its_footer(client, rounds_, path):
    html = client.get(path).get_data(as_text=True)
    footer = html.split('<footer class="site-footer">')[1]
    assert NOTICE_LINK in footer


@pytest.mark.parametrize("path", ["/vote/open-vote/email", "/vote/open-vote/postcode",
                                  "/auth/register", "/vote/equality"])
def test_forms_that_ask_for_personal_data_link_to_the_notice(client, rounds_, path):
    if path == "/vote/equality":
        with client.session_transaction() as session:
            session[EQUALITY] = rounds_["voting"].id
    html = client.get(path).get_data(as_text=True)
    main = html.split("<main")[1].split("</main>")[0]
    assert "<form" in main and NOTICE_LINK in main
