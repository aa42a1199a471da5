"""Voting without a code: a link by email, a postcode alone; and the equality questions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text

from pb.extensions import db
from pb.models import Ballot, OutgoingEmail, VoterCredential
from pb.models.equality import EqualityResponse
from pb.models.types import utcnow
from pb.services import eligibility
from tests import factories
from tests.conftest import Mailbox
from tests.functional.helpers import receipt_on_page

EMAIL = "Resident@Example.org"


@pytest.fixture
def world(app):
    council, (north, _south) = factories.council_with_partnerships()
    round_ = factories.round_(council, slug="spring", status="voting",
                              voting_methods=["codes", "email", "postcode", "kiosk"],
                              eligible_districts=["SK10", "SK11"], min_age=16,
                              equality_questions=True)
    bench = factories.proposal(round_, north, "Bench", 200_00)
    factories.proposal(round_, north, "Bulbs", 300_00)
    db.session.commit()
    return {"round": round_, "bench": bench}


def _ask(client, **overrides):
    data = {"email": EMAIL, "postcode": "sk11 6da", "old_enough": "y", "in_area": "y"}
    data.update(overrides)
    return client.post("/vote/spring/email", data=data)


def _link(mailbox, address: str = "resident@example.org", index: int = -1) -> str:
    message = mailbox.to(address)[index]
    match = re.search(r"http://localhost(/vote/spring/link/\S+)", Mailbox.body(message))
    assert match, Mailbox.body(message)
    return match.group(1)


def _vote(client, world) -> str:
    """Fill in and send the ballot the session holds; return the receipt code."""
    assert client.get("/vote/ballot").status_code == 200
    response = client.post("/vote/ballot", data={"projects": [str(world["bench"].id)]})
    assert response.headers["Location"] == "/vote/review"
    assert client.post("/vote/submit").headers["Location"] == "/vote/done"
    return receipt_on_page(client.get("/vote/done").get_data(as_text=True))


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _all_rows_as_text() -> str:
    db.session.expire_all()
    found = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            found.extend(str(row) for row in conn.execute(table.select()))
    return "\n".join(found).lower()


@pytest.fixture
def shifted_clock(monkeypatch):
    """Move the voting links' clock (signature ages) forward."""
    def shift(**delta):
        moved = utcnow() + timedelta(**delta)
        monkeypatch.setattr(eligibility, "utcnow", lambda: moved)
    return shift


# The start page -----------------------------------------------------------------------------

def test_the_start_page_offers_each_way_the_round_allows(client, world):
    page = client.get("/vote/spring").get_data(as_text=True)
    assert 'action="/vote/"' in page and 'name="code"' in page
    assert 'href="/vote/spring/email"' in page and 'href="/vote/spring/postcode"' in page
    assert "at a community event" in page
    # The public round page sends voters here.
    assert 'href="/vote/spring"' in client.get("/rounds/spring").get_data(as_text=True)


def test_the_start_page_shows_only_the_ways_offered(client, world):
    world["round"].voting_methods = ["postcode"]
    db.session.commit()
    page = client.get("/vote/spring").get_data(as_text=True)
    assert 'href="/vote/spring/postcode"' in page
    assert 'name="code"' not in page and "/vote/spring/email" not in page
    assert "community event" not in page


def test_unknown_and_draft_rounds_are_not_found(client, world):
    assert client.get("/vote/no-such-round").status_code == 404
    world["round"].status = "draft"
    db.session.commit()
    assert client.get("/vote/spring").status_code == 404
    assert client.get("/vote/spring/email").status_code == 404


def test_before_voting_opens_the_dates_are_shown(client, world):
    from datetime import datetime, timezone

    world["round"].status = "review"
    world["round"].voting_opens_at = datetime(2031, 3, 14, 10, 0, tzinfo=timezone.utc)
    db.session.commit()
    page = client.get("/vote/spring").get_data(as_text=True)
    assert "Voting has not opened yet." in page and "Friday 14 March 2031, 10:00" in page
    assert 'name="code"' not in page
    assert client.get("/vote/spring/email").headers["Location"] == "/vote/spring"
    assert client.get("/vote/spring/postcode").headers["Location"] == "/vote/spring"
    world["round"].status = "closed"
    db.session.commit()
    assert "Voting has closed." in client.get("/vote/spring").get_data(as_text=True)


def test_ways_the_round_does_not_offer_are_not_found(client, world):
    world["round"].voting_methods = ["codes"]
    db.session.commit()
    assert client.get("/vote/spring/email").status_code == 404
    assert _ask(client).status_code == 404
    assert client.get("/vote/spring/link/anything").status_code == 404
    assert client.get("/vote/spring/postcode").status_code == 404
    assert _count(VoterCredential) == 0


# Voting by email ----------------------------------------------------------------------------

def test_a_link_by_email_lets_a_resident_vote_once(client, world, mailbox):
    page = client.get("/vote/spring/email").get_data(as_text=True)
    assert "I am at least 16 years old" in page and "I live, work or study in the area" in page
    response = _ask(client)
    assert response.headers["Location"] == "/vote/spring/email/sent"
    sent = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your email" in sent and "resident@example.org" in sent

    (message,) = mailbox.to("resident@example.org")
    assert message["Subject"] == "Your link to vote in Round spring"
    link = _link(mailbox)
    opened = client.get(link)  # a mail program checking the link does not use it up
    assert opened.status_code == 200 and "Start voting" in opened.get_data(as_text=True)
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.headers["Location"] == "/vote/ballot"
    receipt = _vote(client, world)

    ballot = db.session.scalars(select(Ballot)).one()
    assert (ballot.receipt, ballot.district, ballot.channel) == (receipt, "SK11", "online")
    assert ballot.credential_id is not None
    found = client.get(f"/vote/receipt?receipt={receipt}").get_data(as_text=True)
    assert "is in the count" in found

    # Only a keyed hash of the address is kept, and the email itself is forgotten once sent.
    credential = db.session.get(VoterCredential, ballot.credential_id)
    assert credential.kind == "email"
    assert credential.code_hash == eligibility.email_hash(world["round"], "resident@example.org")
    assert credential.link_nonce_hash is None and credential.used_at is not None
    rows = _all_rows_as_text()
    assert "resident@example.org" not in rows and "resident" not in rows
    assert credential.code_hash in rows
    assert link.rsplit("/", 1)[1].lower() not in rows
    outbox = db.session.scalars(select(OutgoingEmail)).one()
    assert outbox.sent_at is not None and outbox.to == "" and outbox.body == ""


def test_a_used_link_does_not_work_again(client, world, mailbox):
    _ask(client)
    link = _link(mailbox)
    assert client.post(link).headers["Location"] == "/vote/ballot"
    again = client.post(link)
    assert again.status_code == 410
    assert "This link has already been used" in again.get_data(as_text=True)
    assert client.get(link).status_code == 410
    # The first ballot still goes in.
    _vote(client, world)
    assert _count(Ballot) == 1


def test_an_expired_link_is_refused_with_a_way_to_get_a_new_one(client, world, mailbox,
                                                                shifted_clock):
    _ask(client)
    link = _link(mailbox)
    shifted_clock(hours=24, minutes=1)
    response = client.get(link)
    html = response.get_data(as_text=True)
    assert response.status_code == 410 and "This link has expired" in html
    assert 'href="/vote/spring/email"' in html
    assert client.post(link).status_code == 410
    assert client.get("/vote/ballot").headers["Location"] == "/vote/"


def test_the_lifetime_of_a_link_comes_from_configuration(app, client, world, mailbox,
                                                         shifted_clock):
    app.config["PB_VOTE_LINK_MAX_AGE"] = 60
    _ask(client)
    link = _link(mailbox)
    assert "works once, for 1 hour" in Mailbox.body(mailbox.messages[-1])
    shifted_clock(seconds=30)
    assert client.get(link).status_code == 200
    shifted_clock(seconds=61)
    assert client.get(link).status_code == 410


@pytest.mark.parametrize("tamper", ["change", "cut", "other-round", "forged"])
def test_a_tampered_link_is_refused(app, client, world, mailbox, tamper):
    _ask(client)
    link = _link(mailbox)
    token = link.rsplit("/", 1)[1]
    if tamper == "change":
        token = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    elif tamper == "cut":
        token = token[:20]
    elif tamper == "forged":  # signed with another key
        from itsdangerous import URLSafeTimedSerializer

        credential = db.session.scalars(select(VoterCredential)).one()
        token = URLSafeTimedSerializer("not-the-key", salt=eligibility.SALT).dumps(
            [credential.id, "guess", "SK11"])
    else:
        other = factories.round_(world["round"].council, slug="autumn", status="voting",
                                 voting_methods=["email"])
        db.session.commit()
        link = f"/vote/{other.slug}/link/{token}"
    target = link if tamper == "other-round" else f"/vote/spring/link/{token}"
    response = client.get(target)
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert client.post(target).status_code == 400
    assert client.get("/vote/ballot").headers["Location"] == "/vote/"


def test_a_new_request_replaces_the_old_link(client, world, mailbox):
    _ask(client)
    first = _link(mailbox)
    _ask(client, email="resident@example.org ")  # the same address, typed differently
    second = _link(mailbox)
    assert first != second and _count(VoterCredential) == 1
    response = client.post(first)
    assert response.status_code == 410
    assert "There is a newer link" in response.get_data(as_text=True)
    assert client.post(second).headers["Location"] == "/vote/ballot"


def test_an_address_that_has_voted_is_told_so_by_email_only(client, world, mailbox):
    _ask(client)
    client.post(_link(mailbox))
    _vote(client, world)
    again = _ask(client)
    assert again.headers["Location"] == "/vote/spring/email/sent"  # the page reveals nothing
    message = mailbox.to("resident@example.org")[-1]
    assert message["Subject"] == "You have already voted in Round spring"
    body = Mailbox.body(message)
    assert "a vote has already been cast with this email address" in body
    assert "/vote/spring/link/" not in body
    assert _count(Ballot) == 1


def test_with_vote_changing_an_address_that_voted_gets_a_new_link(client, world, mailbox):
    world["round"].allow_vote_change = True
    db.session.commit()
    _ask(client)
    client.post(_link(mailbox))
    _vote(client, world)
    first = db.session.scalars(select(Ballot)).one()
    _ask(client)
    body = Mailbox.body(mailbox.to("resident@example.org")[-1])
    assert "change your vote" in body and "/vote/spring/link/" in body
    # The new link lets the resident vote again; the new ballot replaces the first.
    assert client.post(_link(mailbox)).headers["Location"] == "/vote/ballot"
    second_receipt = _vote(client, world)
    db.session.expire_all()
    ballots = db.session.scalars(select(Ballot).order_by(Ballot.id)).all()
    assert [b.receipt for b in ballots if b.superseded_at is None] == [second_receipt]
    assert ballots[0].id == first.id and ballots[0].superseded_at is not None
    assert "replaced by a later ballot" in client.get(
        f"/vote/receipt?receipt={first.receipt}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [({"postcode": "M1 1AE"}, "postcode", "M1 1AE is not in them"),
     ({"postcode": "SK11"}, "postcode", "Enter a full UK postcode"),
     ({"postcode": "hello there"}, "postcode", "Enter a full UK postcode"),
     ({"postcode": ""}, "postcode", "Enter a full UK postcode"),
     ({"old_enough": ""}, "old_enough", "Confirm that you are at least 16 years old"),
     ({"in_area": ""}, "in_area", "Confirm that you live, work or study in the area"),
     ({"email": "not an email"}, "email", "Enter your email address")],
    ids=["outside-the-area", "district-only", "words", "empty", "no-age", "no-area",
         "bad-email"],
)
def test_bad_requests_for_a_link_come_back_with_the_input(client, world, mailbox, overrides,
                                                         field, message):
    response = _ask(client, **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and f'href="#{field}"' in html
    typed = {"email": EMAIL, "postcode": "sk11 6da", **overrides}
    for name in ("email", "postcode"):
        assert f'value="{typed[name]}"' in html or not typed[name]
    if overrides.get("old_enough") != "":
        assert 'id="old_enough" name="old_enough" value="y" checked' in html
    assert _count(VoterCredential) == 0 and mailbox.messages == []


def test_every_problem_is_shown_at_once(client, world):
    response = _ask(client, email="", postcode="", old_enough="", in_area="")
    html = response.get_data(as_text=True).split('class="error-summary"')[1].split("</div>")[0]
    for field in ("email", "postcode", "old_enough", "in_area"):
        assert f'href="#{field}"' in html


def test_without_districts_any_uk_postcode_will_do(client, world, mailbox):
    world["round"].eligible_districts = []
    world["round"].min_age = None
    db.session.commit()
    page = client.get("/vote/spring/email").get_data(as_text=True)
    assert 'name="old_enough"' not in page and 'name="in_area"' not in page
    assert _ask(client, postcode="EC1A 1BB", old_enough="", in_area="").status_code == 302
    assert client.post(_link(mailbox)).headers["Location"] == "/vote/ballot"
    _vote(client, world)
    assert db.session.scalars(select(Ballot.district)).one() == "EC1A"


# Voting with a postcode alone ----------------------------------------------------------------

def test_a_postcode_alone_starts_a_ballot(client, world):
    page = client.get("/vote/spring/postcode").get_data(as_text=True)
    assert "relies on honesty" in page and "vote once" in page
    response = client.post("/vote/spring/postcode",
                           data={"postcode": "sk10 1aa", "old_enough": "y", "in_area": "y"})
    assert response.headers["Location"] == "/vote/ballot"
    receipt = _vote(client, world)
    ballot = db.session.scalars(select(Ballot)).one()
    assert (ballot.receipt, ballot.district) == (receipt, "SK10")
    assert db.session.get(VoterCredential, ballot.credential_id).kind == "postcode"
    # Each time is a fresh one-off credential.
    client.post("/vote/spring/postcode",
                data={"postcode": "SK10 1AA", "old_enough": "y", "in_area": "y"})
    _vote(client, world)
    assert _count(Ballot) == 2 and _count(VoterCredential) == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [({"postcode": "SK17 6AB", "old_enough": "y", "in_area": "y"}, "postcode",
      "SK17 6AB is not in them"),
     ({"postcode": "SK1O 1AA", "old_enough": "y", "in_area": "y"}, "postcode",
      "Enter a full UK postcode"),
     ({"postcode": "SK10 1AA", "in_area": "y"}, "old_enough", "at least 16 years old")],
    ids=["outside", "malformed", "no-age"],
)
def test_bad_postcode_votes_come_back_with_the_input(client, world, data, field, message):
    response = client.post("/vote/spring/postcode", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and f'href="#{field}"' in html
    assert f'value="{data["postcode"]}"' in html
    assert _count(VoterCredential) == 0
    assert client.get("/vote/ballot").headers["Location"] == "/vote/"


# Equality questions ----------------------------------------------------------------------

def _postcode_vote(client, world) -> str:
    client.post("/vote/spring/postcode",
                data={"postcode": "SK10 1AA", "old_enough": "y", "in_area": "y"})
    return _vote(client, world)


def test_equality_answers_are_kept_apart_from_the_ballot(client, world):
    _postcode_vote(client, world)
    done = client.get("/vote/done").get_data(as_text=True)
    assert 'href="/vote/equality"' in done
    page = client.get("/vote/equality").get_data(as_text=True)
    assert "How old are you?" in page and page.count("Prefer not to say") == 5
    response = client.post("/vote/equality", data={"age_band": "25-34", "sex": "prefer-not"})
    assert response.status_code == 200 and "Your answers are saved" in response.get_data(
        as_text=True)

    answer = db.session.scalars(select(EqualityResponse)).one()
    assert (answer.age_band, answer.sex, answer.ethnicity) == ("25-34", "prefer-not", "")
    assert answer.round_id == world["round"].id
    # Nothing in the row can be joined back to the ballot: no time, no credential, no ballot,
    # and a random key rather than a number that follows the order of voting.
    inspector = inspect(db.engine)
    answer_columns = {c["name"] for c in inspector.get_columns("equality_responses")}
    ballot_columns = {c["name"] for c in inspector.get_columns("ballots")}
    credential_columns = {c["name"] for c in inspector.get_columns("voter_credentials")}
    assert answer_columns & (ballot_columns | credential_columns) == {"id", "round_id"}
    assert inspector.get_foreign_keys("equality_responses")[0]["referred_table"] == "rounds"
    assert len(inspector.get_foreign_keys("equality_responses")) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", answer.id)
    ballot = db.session.scalars(select(Ballot)).one()
    assert answer.id not in {str(ballot.id), ballot.receipt, str(ballot.credential_id)}

    # One set of answers per ballot: the offer is used up.
    again = client.post("/vote/equality", data={"age_band": "35-44"})
    assert "No questions to answer" in again.get_data(as_text=True)
    assert _count(EqualityResponse) == 1
    assert 'href="/vote/equality"' not in client.get("/vote/done").get_data(as_text=True)


def test_every_question_can_be_skipped(client, world):
    _postcode_vote(client, world)
    assert client.post("/vote/equality", data={}).status_code == 200
    answer = db.session.scalars(select(EqualityResponse)).one()
    assert (answer.age_band, answer.sex, answer.ethnicity, answer.disability,
            answer.welsh_speaker) == ("", "", "", "", "")


def test_equality_ids_do_not_follow_the_order_of_voting(client, world):
    for _ in range(3):
        _postcode_vote(client, world)
        client.post("/vote/equality", data={"sex": "female"})
    ids = list(db.session.scalars(select(EqualityResponse.id)))
    assert len(set(ids)) == 3
    stored = [row[0] for row in db.session.execute(text("SELECT id FROM equality_responses"))]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in stored)


def test_an_unknown_equality_answer_comes_back_with_the_input(client, world):
    _postcode_vote(client, world)
    response = client.post("/vote/equality", data={"age_band": "200", "sex": "male"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'href="#age_band"' in html
    assert 'value="male" checked' in html
    assert _count(EqualityResponse) == 0
    assert client.post("/vote/equality", data={"sex": "male"}).status_code == 200
    assert _count(EqualityResponse) == 1


def test_no_questions_without_a_ballot_or_when_the_round_does_not_ask(client, world):
    assert "No questions to answer" in client.get("/vote/equality").get_data(as_text=True)
    assert client.post("/vote/equality", data={"sex": "male"}).status_code == 200
    world["round"].equality_questions = False
    db.session.commit()
    _postcode_vote(client, world)
    assert 'href="/vote/equality"' not in client.get("/vote/done").get_data(as_text=True)
    client.post("/vote/equality", data={"sex": "male"})
    assert _count(EqualityResponse) == 0
