"""Scrutineers, organisers and council administrators read the audit log of what is theirs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select, update

from pb.extensions import db
from pb.models import AuditEntry, Council, Partnership
from pb.models.user import COUNCIL_ADMIN, MEMBER, ORGANISER, SCRUTINEER, VOLUNTEER
from pb.services import accounts, audit
from tests import factories
from tests.functional.helpers import login


@pytest.fixture
def world(app):
    """Two councils; in the first a council-wide round and one of the North partnership."""
    council, (north, _south) = factories.council_with_partnerships()
    other = Council(name="Other Council", slug="other")
    elsewhere = Partnership(council=other, name="Elsewhere Partnership", slug="elsewhere")
    db.session.add_all([other, elsewhere])
    db.session.flush()
    rounds = {"council": factories.round_(council, slug="decides"),
              "north": factories.round_(council, slug="north-round", partnership=north),
              "other": factories.round_(other, slug="other-round")}
    users = {
        "admin": factories.user(council, "admin@x.example", COUNCIL_ADMIN),
        "organiser": factories.user(council, "org@x.example", ORGANISER),
        "scrutineer": factories.user(council, "scrut@x.example", SCRUTINEER),
        "north-organiser": factories.user(council, "northorg@x.example", ORGANISER, north),
        "north-scrutineer": factories.user(council, "northscrut@x.example", SCRUTINEER, north),
        "member": factories.user(council, "member@x.example", MEMBER, north),
        "volunteer": factories.user(council, "vol@x.example", VOLUNTEER, north),
        "other-scrutineer": factories.user(other, "scrut@other.example", SCRUTINEER),
        "resident": accounts.register_user("resident@x.example", "Rhian Resident",
                                           factories.PASSWORD),
    }
    for name, round_ in rounds.items():
        audit.record(users["organiser"], "round.updated", round_, title=f"MARK-ROUND-{name}")
    audit.record(users["admin"], "partnership.updated", north,
                 name=["North Partnership", "MARK-PARTNERSHIP-north"])
    audit.record(None, "partnership.updated", elsewhere,
                 name=["Elsewhere Partnership", "MARK-PARTNERSHIP-other"])
    db.session.commit()
    return rounds, users


MARKS = ("MARK-ROUND-council", "MARK-ROUND-north", "MARK-ROUND-other",
         "MARK-PARTNERSHIP-north", "MARK-PARTNERSHIP-other", "resident@x.example")


@pytest.mark.parametrize("who, seen", [
    ("admin", {"MARK-ROUND-council", "MARK-ROUND-north", "MARK-PARTNERSHIP-north"}),
    ("organiser", {"MARK-ROUND-council", "MARK-ROUND-north", "MARK-PARTNERSHIP-north"}),
    ("scrutineer", {"MARK-ROUND-council", "MARK-ROUND-north", "MARK-PARTNERSHIP-north"}),
    ("north-organiser", {"MARK-ROUND-north", "MARK-PARTNERSHIP-north"}),
    ("north-scrutineer", {"MARK-ROUND-north", "MARK-PARTNERSHIP-north"}),
    ("other-scrutineer", {"MARK-ROUND-other", "MARK-PARTNERSHIP-other"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_staff_read_only_the_entries_of_their_council_or_partnership(client, world, who, seen):
    rounds, users = world
    login(client, users[who].email)
    response = client.get("/organise/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert {mark for mark in MARKS if mark in page} == seen


def test_council_staff_see_their_councils_accounts_and_no_others(client, world):
    rounds, users = world
    login(client, users["other-scrutineer"].email)
    page = client.get("/organise/audit").get_data(as_text=True)
    assert "scrut@other.example" in page and "admin@x.example" not in page
    client.post("/auth/logout")
    login(client, users["scrutineer"].email)
    page = client.get("/organise/audit").get_data(as_text=True)
    assert "admin@x.example" in page and "scrut@other.example" not in page


@pytest.mark.parametrize("who", ["member", "volunteer", "resident"])
def test_people_without_a_staff_role_cannot_read_the_log(client, world, who):
    rounds, users = world
    login(client, users[who].email)
    response = client.get("/organise/audit")
    assert response.status_code == 403
    assert "MARK-" not in response.get_data(as_text=True)
    assert client.get("/organise/audit?round=decides").status_code == 403


def test_the_public_is_sent_to_sign_in(client, world):
    response = client.get("/organise/audit?round=decides")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_another_councils_round_shows_nothing_even_when_asked_for(client, world):
    rounds, users = world
    login(client, users["other-scrutineer"].email)
    response = client.get("/organise/audit?round=decides")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "MARK-" not in page and "No entries match." in page


def test_filters_by_round_and_by_action(client, world):
    rounds, users = world
    login(client, users["scrutineer"].email)
    page = client.get("/organise/audit?round=north-round").get_data(as_text=True)
    assert "MARK-ROUND-north" in page and "MARK-ROUND-council" not in page
    assert "MARK-PARTNERSHIP-north" not in page
    page = client.get("/organise/audit?action=partnership.updated").get_data(as_text=True)
    assert "MARK-PARTNERSHIP-north" in page and "MARK-ROUND" not in page
    assert "1 entry" in page
    page = client.get("/organise/audit?action=no.such.thing&round=nowhere").get_data(as_text=True)
    assert "No entries match." in page


def _rows(page: str) -> list[int]:
    """The entry ids in the table, top to bottom."""
    return [int(n) for n in re.findall(r'data-label="Entry and hash">(\d+)<br>', page)]


def test_entries_come_newest_first_a_page_at_a_time(client, world):
    rounds, users = world
    for n in range(60):
        audit.record(users["organiser"], "paper.keyed", rounds["council"], paper_number=n)
    db.session.commit()
    last = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    login(client, users["scrutineer"].email)
    first = client.get("/organise/audit?round=decides").get_data(as_text=True)
    assert _rows(first) == list(range(last, last - 50, -1))
    assert "Page 1 of 2" in first and "Older entries" in first and "Newer entries" not in first
    second = client.get("/organise/audit?round=decides&page=2").get_data(as_text=True)
    assert len(_rows(second)) == 11 and max(_rows(second)) == last - 50
    assert "Newer entries" in second and "Older entries" not in second
    assert _rows(client.get("/organise/audit?round=decides&page=99").get_data(as_text=True)) \
        == _rows(second)
    assert client.get("/organise/audit?page=x").status_code == 200


def test_each_entry_shows_who_what_and_the_details_in_plain_words(client, world):
    rounds, users = world
    audit.record(users["organiser"], "proposal.cost_adjusted", factories.proposal(
        rounds["council"], rounds["north"].partnership, "Bench by the pond", 1_500_00),
        round="decides", previous=2_000_00, cost=1_500_00, reason="Quote came in lower")
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    login(client, users["scrutineer"].email)
    page = client.get("/organise/audit?action=proposal.cost_adjusted").get_data(as_text=True)
    assert "Amount of a proposal changed" in page
    assert "Bench by the pond" in page and "org@x.example" in page
    assert "<dt>Amount before</dt><dd>£2,000</dd>" in page
    assert "<dt>Amount</dt><dd>£1,500</dd>" in page
    assert "<dt>Reason</dt><dd>Quote came in lower</dd>" in page
    assert f"<code class=\"digest\">{entry.hash[:12]}</code>" in page
    accounts_page = client.get("/organise/audit?action=user.created").get_data(as_text=True)
    assert "Scrutineer, whole council" in accounts_page
    assert "Member, North Partnership" in accounts_page


def test_the_banner_says_the_chain_holds(client, world):
    rounds, users = world
    login(client, users["scrutineer"].email)
    page = client.get("/organise/audit").get_data(as_text=True)
    report = audit.verify()
    assert "The log checks out" in page and "tampered" not in page
    assert f"All {report.count} entries match their hashes." in page
    assert report.last_hash in page


def test_the_banner_warns_when_an_entry_was_changed(client, world):
    rounds, users = world
    victim = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.updated")).first()
    db.session.execute(update(AuditEntry).where(AuditEntry.id == victim.id)
                       .values(details={"title": "Something else"}))
    db.session.commit()
    login(client, users["other-scrutineer"].email)  # the chain is the whole log's
    page = client.get("/organise/audit").get_data(as_text=True)
    assert "Warning: the log has been tampered with" in page
    assert "The log checks out" not in page
    assert f"Entry {victim.id} was changed after it was written" in page
    client.post("/auth/logout")
    login(client, users["scrutineer"].email)
    page = client.get("/organise/audit").get_data(as_text=True)
    flagged = re.findall(r'data-label="Entry and hash">(\d+)<br><code class="digest">\w+</code>'
                         r'<br><strong class="tag tag-problem">Fails the check', page)
    assert flagged == [str(victim.id)]


def test_the_banner_warns_when_an_entry_was_deleted(client, world):
    rounds, users = world
    db.session.execute(delete(AuditEntry).where(AuditEntry.id == 3))
    db.session.commit()
    login(client, users["scrutineer"].email)
    page = client.get("/organise/audit").get_data(as_text=True)
    assert "Warning: the log has been tampered with" in page
    assert "Entry 3 is missing: it was deleted." in page


def test_a_hash_noted_earlier_is_checked(client, world):
    rounds, users = world
    noted = audit.verify().last_hash
    login(client, users["scrutineer"].email)
    page = client.get(f"/organise/audit?seen={noted.upper()}").get_data(as_text=True)
    assert "The hash you noted is still in the log." in page
    last = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    db.session.execute(delete(AuditEntry).where(AuditEntry.id == last))
    db.session.commit()
    assert "The log checks out" in client.get("/organise/audit").get_data(as_text=True)
    page = client.get(f"/organise/audit?seen={noted}").get_data(as_text=True)
    assert "Warning: the log has been tampered with" in page
    assert "is no longer in the log" in page


def test_a_malformed_hash_is_refused_beside_the_field(client, world):
    rounds, users = world
    login(client, users["scrutineer"].email)
    response = client.get("/organise/audit?seen=<b>abc</b>")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="filter-seen-error"' in page and "Enter the whole hash" in page
    assert 'value="&lt;b&gt;abc&lt;/b&gt;"' in page


def test_the_log_is_linked_from_where_staff_land(client, world):
    rounds, users = world
    login(client, users["scrutineer"].email)
    assert 'href="/organise/audit"' in client.get("/dashboard").get_data(as_text=True)
    client.post("/auth/logout")
    login(client, users["organiser"].email)
    assert 'href="/organise/audit?round=decides"' in client.get(
        "/organise/decides").get_data(as_text=True)
    client.post("/auth/logout")
    login(client, users["member"].email)
    assert "/organise/audit" not in client.get("/dashboard").get_data(as_text=True)
