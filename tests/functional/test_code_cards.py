"""Voting codes made in batches and printed as cards whose QR codes open the ballot."""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlsplit

import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import func, select

from pb.extensions import db
from pb.models import AuditEntry, Ballot, CodeBatch, Round, VoterCredential
from pb.models.user import COUNCIL_ADMIN, MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER
from pb.services import codes as code_service
from pb.services import voting
from pb.services.cards import CARDS_PER_PAGE
from tests import factories
from tests.functional.helpers import codes_on_page, login, logout, receipt_on_page


@pytest.fixture
def world(app):
    council, (north, south) = factories.council_with_partnerships()
    round_ = factories.round_(council, slug="decides", status="voting", partnership=south)
    bench = factories.proposal(round_, south, "Bench", 500_00)
    factories.proposal(round_, south, "Mural", 800_00)
    users = {
        "organiser": factories.user(council, "org@x.example", ORGANISER),
        "admin": factories.user(council, "admin@x.example", COUNCIL_ADMIN),
        "south-organiser": factories.user(council, "southorg@x.example", ORGANISER, south),
        "north-organiser": factories.user(council, "northorg@x.example", ORGANISER, north),
        "member": factories.user(council, "member@x.example", MEMBER, south),
        "volunteer": factories.user(council, "vol@x.example", VOLUNTEER, south),
        "scrutineer": factories.user(council, "scrut@x.example", SCRUTINEER),
    }
    db.session.commit()
    return round_, bench, users


def read_cards(pdf: bytes) -> tuple[int, list[str]]:
    """The number of pages, and the text of every QR code found on them."""
    assert pdf.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(pdf)
    try:
        found = []
        for index in range(len(document)):
            image = document[index].render(scale=150 / 72).to_pil()
            found.extend(result.text for result in zxingcpp.read_barcodes(image))
        return len(document), found
    finally:
        document.close()


def make_batch(client, count, label=""):
    response = client.post("/organise/decides/codes", data={"count": str(count), "label": label})
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    match = re.search(r'href="(/organise/decides/codes/(\d+)/cards\.pdf)"', html)
    assert match and "Download the cards (PDF)" in html
    return codes_on_page(html), match.group(1), int(match.group(2))


def test_a_card_opens_the_ballot_with_its_code_and_the_code_votes_once(app, client, world):
    round_, bench, users = world
    login(client, users["organiser"].email)
    issued, download, batch_id = make_batch(client, 1, "Library")
    assert len(issued) == 1

    response = client.get(download)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pages, found = read_cards(response.data)
    assert pages == 1 and len(found) == 1
    url = urlsplit(found[0])
    assert (url.scheme, url.netloc, url.path) == ("http", "localhost", "/vote/")
    assert parse_qs(url.query)["code"] == issued
    logout(client)

    # A resident scans the card: the ballot's first page has the code filled in.
    resident = app.test_client()
    start = resident.get(f"{url.path}?{url.query}")
    assert start.status_code == 200
    assert f'value="{issued[0]}"' in start.get_data(as_text=True)
    assert resident.post("/vote/", data={"code": issued[0]}).headers["Location"] == "/vote/ballot"
    assert resident.post("/vote/ballot", data={"projects": [str(bench.id)]}
                         ).headers["Location"] == "/vote/review"
    assert resident.post("/vote/submit").headers["Location"] == "/vote/done"
    receipt_on_page(resident.get("/vote/done").get_data(as_text=True))
    ballots = db.session.scalars(select(Ballot)).all()
    assert len(ballots) == 1 and [c.proposal_id for c in ballots[0].choices] == [bench.id]
    credential = db.session.get(VoterCredential, ballots[0].credential_id)
    assert credential.batch_id == batch_id and credential.used_at is not None

    # The same card again: refused.
    again = app.test_client().post("/vote/", data={"code": issued[0]})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1

    # The batch list counts the used code.
    login(client, users["organiser"].email)
    page = client.get("/organise/decides/codes").get_data(as_text=True)
    row = page.split("<tbody>")[1].split("</tr>")[0]
    assert "Library" in row and 'data-label="Used so far">1<' in row


def test_a_batch_of_twenty_fills_three_pages_of_cards_each_with_its_own_code(app, client,
                                                                           world):
    round_, bench, users = world
    login(client, users["south-organiser"].email)
    issued, download, batch_id = make_batch(client, 20, "Moss Rose estate")
    assert len(issued) == len(set(issued)) == 20
    pages, found = read_cards(client.get(download).data)
    assert pages == math.ceil(20 / CARDS_PER_PAGE) == 3
    on_cards = [parse_qs(urlsplit(url).query)["code"][0] for url in found]
    assert sorted(on_cards) == sorted(issued)

    batch = db.session.get(CodeBatch, batch_id)
    assert (batch.count, batch.label, batch.created_by_id) == (
        20, "Moss Rose estate", users["south-organiser"].id)
    hashes = set(db.session.scalars(select(VoterCredential.code_hash)
                                    .where(VoterCredential.batch_id == batch_id)))
    assert hashes == {voting.code_hash(c) for c in issued}


def test_codes_carry_at_least_40_bits_of_randomness(app, world):
    round_, bench, users = world
    _batch, made = code_service.make_batch(users["organiser"], round_, 5, "", "http://x/")
    for code in made:
        symbols = voting.normalise_code(code)
        assert set(symbols) <= set(voting.ALPHABET) and len(voting.ALPHABET) == 32
        assert len(symbols) * math.log2(len(voting.ALPHABET)) >= 40
    assert len(set(made)) == 5


def test_only_hashes_are_kept_and_the_page_says_so(app, client, world):
    round_, bench, users = world
    login(client, users["organiser"].email)
    issued, download, batch_id = make_batch(client, 3)
    stored = db.session.scalars(select(VoterCredential.code_hash)).all()
    for code in issued:
        assert code not in stored and voting.normalise_code(code) not in stored
    page = client.get("/organise/decides/codes").get_data(as_text=True)
    assert "We keep only a fingerprint of each code" in page
    assert "It is deleted when you delete it, or when voting closes." in page
    assert codes_on_page(page) == []  # the codes are shown once only


@pytest.mark.parametrize("count, message", [
    ("0", "Choose between 1 and 5,000 codes."),
    ("-1", "Choose between 1 and 5,000 codes."),
    ("5001", "Choose between 1 and 5,000 codes."),
    ("fifty", "Enter how many codes to make as a number, like 50."),
    ("", "Enter how many codes to make, as a number."),
])
def test_bad_counts_come_back_with_the_message_and_the_input_kept(app, client, world, count,
                                                                message):
    round_, bench, users = world
    login(client, users["organiser"].email)
    response = client.post("/organise/decides/codes",
                           data={"count": count, "label": "Town hall"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count(message) == 2  # beside the field and in the summary at the top
    assert f'value="{count}"' in html or (count == "" and 'name="count"' in html)
    # a text box, so that words typed in come back as typed (a number box would blank them)
    assert re.search(r'<input[^>]*id="count"[^>]*type="text"', html)
    assert 'value="Town hall"' in html
    assert db.session.scalar(select(func.count()).select_from(CodeBatch)) == 0
    assert db.session.scalar(select(func.count()).select_from(VoterCredential)) == 0


def test_a_label_too_long_is_refused_and_an_empty_label_is_fine(app, client, world):
    round_, bench, users = world
    login(client, users["organiser"].email)
    response = client.post("/organise/decides/codes", data={"count": "2", "label": "x" * 81})
    assert response.status_code == 400
    assert "Keep the label to 80 characters or fewer." in response.get_data(as_text=True)
    issued, _download, batch_id = make_batch(client, " 2 ", "")
    assert len(issued) == 2 and db.session.get(CodeBatch, batch_id).label == ""
    assert "(no label)" in client.get("/organise/decides/codes").get_data(as_text=True)


def test_making_downloading_and_deleting_are_audited(app, client, world):
    round_, bench, users = world
    organiser = users["organiser"]
    login(client, organiser.email)
    _issued, download, batch_id = make_batch(client, 2, "Fair")
    assert client.get(download).status_code == 200

    confirm = client.get(f"/organise/decides/codes/{batch_id}/delete-cards")
    assert confirm.status_code == 200 and "Delete the card file?" in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CodeBatch, batch_id).has_cards  # asking changed nothing

    response = client.post(f"/organise/decides/codes/{batch_id}/delete-cards")
    assert response.headers["Location"] == "/organise/decides/codes"
    db.session.expire_all()
    batch = db.session.get(CodeBatch, batch_id)
    assert batch.card_pdf is None and not batch.has_cards and batch.card_deleted_at is not None
    assert "Card file deleted" in client.get("/organise/decides/codes").get_data(as_text=True)

    gone = client.get(download)
    assert gone.headers["Location"] == "/organise/decides/codes"
    assert "have been deleted" in client.get("/organise/decides/codes").get_data(as_text=True)

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.round_id == round_.id)
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id) for e in entries] == [
        ("codes.issued", organiser.id),
        ("codes.cards_downloaded", organiser.id),
        ("codes.cards_deleted", organiser.id),
    ]
    issued, downloaded, deleted = entries
    assert issued.details == {"count": 2, "batch": "Fair", "batch_id": batch_id}
    assert downloaded.details["batch_id"] == batch_id
    assert deleted.details == {"batch_id": batch_id, "label": "Fair",
                               "reason": "deleted by an organiser"}
    history = client.get("/organise/decides").get_data(as_text=True)
    for label in ("Voting codes made", "Voting cards downloaded", "Voting card file deleted"):
        assert label in history


def test_card_files_are_deleted_when_voting_closes(app, client, world):
    round_, bench, users = world
    login(client, users["organiser"].email)
    _issued, download, batch_id = make_batch(client, 2, "Fair")
    assert client.post("/organise/decides/close").status_code == 302
    db.session.expire_all()
    assert db.session.get(Round, round_.id).status == "closed"
    batch = db.session.get(CodeBatch, batch_id)
    assert batch.card_pdf is None and batch.card_deleted_at is not None
    deleted = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "codes.cards_deleted")).one()
    assert deleted.details["reason"] == "voting closed"
    assert client.get(download).status_code == 302
    page = client.get("/organise/decides/codes")
    assert "no more codes can be made" in page.get_data(as_text=True)
    refused = client.post("/organise/decides/codes", data={"count": "2"})
    assert refused.status_code == 400
    assert "Voting in this round has closed" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CodeBatch)) == 1


@pytest.mark.parametrize("who", ["member", "volunteer", "scrutineer", "north-organiser"])
def test_only_the_rounds_organisers_reach_codes_and_cards(app, client, world, who):
    round_, bench, users = world
    batch, _made = code_service.make_batch(users["organiser"], round_, 1, "Hall", "http://x/")
    db.session.commit()
    login(client, users[who].email)
    for method, url in [
        ("get", "/organise/decides/codes"),
        ("post", "/organise/decides/codes"),
        ("get", f"/organise/decides/codes/{batch.id}/cards.pdf"),
        ("get", f"/organise/decides/codes/{batch.id}/delete-cards"),
        ("post", f"/organise/decides/codes/{batch.id}/delete-cards"),
    ]:
        response = getattr(client, method)(url, data={"count": "3"} if method == "post" else None)
        assert response.status_code in (403, 404), (who, url, response.status_code)
    db.session.expire_all()
    assert db.session.get(CodeBatch, batch.id).has_cards
    assert db.session.scalar(select(func.count()).select_from(CodeBatch)) == 1
    actions = set(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.round_id == round_.id)))
    assert actions == {"codes.issued"}


@pytest.mark.parametrize("who", ["admin", "south-organiser"])
def test_council_and_partnership_organisers_may(app, client, world, who):
    round_, bench, users = world
    login(client, users[who].email)
    issued, download, _batch_id = make_batch(client, 1)
    assert len(issued) == 1 and client.get(download).status_code == 200


def test_a_batch_from_another_round_is_not_found(app, client, world):
    round_, bench, users = world
    other = factories.round_(round_.council, slug="other", status="voting")
    batch, _made = code_service.make_batch(None, other, 1, "", "http://x/")
    db.session.commit()
    login(client, users["organiser"].email)
    assert client.get(f"/organise/decides/codes/{batch.id}/cards.pdf").status_code == 404
    assert client.post(f"/organise/decides/codes/{batch.id}/delete-cards").status_code == 404
    assert client.get("/organise/decides/codes/999999/cards.pdf").status_code == 404


def test_the_service_refuses_someone_who_does_not_organise_the_round(app, world):
    from pb.errors import NotAllowed

    round_, bench, users = world
    with pytest.raises(NotAllowed):
        code_service.make_batch(users["north-organiser"], round_, 1, "", "http://x/")
    batch, _made = code_service.make_batch(users["organiser"], round_, 1, "", "http://x/")
    for action in (code_service.card_file, code_service.delete_card_file):
        with pytest.raises(NotAllowed):
            action(users["member"], batch)
