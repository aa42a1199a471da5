"""Keying paper ballots through the organiser's pages: two passes, compare, accept."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pb.extensions import db
from pb.models import AuditEntry, Ballot, PaperBatch, PaperEntry
from pb.models.user import MEMBER, ORGANISER, VOLUNTEER
from pb.services import rounds, tallying
from tests import factories
from tests.functional.helpers import login, logout


def _world(ballot_type="approval", ballot_settings=None):
    council, (north, south) = factories.council_with_partnerships()
    users = {
        "first": factories.user(council, "first@x.example", ORGANISER, north),
        "second": factories.user(council, "second@x.example", ORGANISER, north),
        "member": factories.user(council, "member@x.example", MEMBER, north),
        "volunteer": factories.user(council, "vol@x.example", VOLUNTEER, north),
        "south-organiser": factories.user(council, "southorg@x.example", ORGANISER, south),
    }
    round_ = factories.round_(council, slug="decides", status="voting", partnership=north,
                              pot=1_000_00, ballot_type=ballot_type,
                              ballot_settings=ballot_settings)
    projects = [factories.proposal(round_, north, title, cost)
                for title, cost in (("Allotment", 300_00), ("Bench", 200_00),
                                    ("Cycle rack", 400_00))]
    db.session.commit()
    return round_, projects, users


def _as(client, user):
    logout(client)
    login(client, user.email)


def _new_batch(client, label="Library box", count="2"):
    response = client.post("/organise/decides/paper/new",
                           data={"label": label, "declared_count": count})
    assert response.status_code == 302, response.text
    return db.session.scalars(select(PaperBatch).where(PaperBatch.label == label)).one()


def _key(client, batch, pass_number, number, **fields):
    return client.post(f"/organise/decides/paper/{batch.id}/pass/{pass_number}",
                       data={"paper_number": str(number), **fields})


def _ballots():
    return list(db.session.scalars(select(Ballot)))


def test_two_people_key_an_approval_batch_and_it_is_counted(client):
    round_, (a, b, c), users = _world()
    _as(client, users["first"])
    batch = _new_batch(client, count="2")
    page = client.get(f"/organise/decides/paper/{batch.id}/pass/1")
    assert page.status_code == 200
    assert 'name="paper_number" type="text" value="1"' in page.text
    assert 'name="projects" value="%s"' % a.id in page.text
    response = _key(client, batch, 1, 1, projects=[str(a.id), str(b.id)])
    assert response.status_code == 302 and response.location.endswith("/pass/1")
    assert 'value="2"' in client.get(f"/organise/decides/paper/{batch.id}/pass/1").text
    response = _key(client, batch, 1, 2, projects=[str(c.id)])
    assert response.location.endswith(f"/paper/{batch.id}")

    # The same person may not key pass 2; the page says so and nothing is stored.
    refused = _key(client, batch, 2, 1, projects=[str(a.id), str(b.id)])
    assert refused.status_code == 400
    assert "someone else must key pass 2" in refused.text
    assert db.session.scalar(select(PaperEntry.id).where(PaperEntry.pass_number == 2)) is None

    _as(client, users["second"])
    assert _key(client, batch, 2, 1, projects=[str(a.id), str(b.id)]).status_code == 302
    assert _key(client, batch, 2, 2, projects=[str(c.id)]).status_code == 302
    page = client.get(f"/organise/decides/paper/{batch.id}")
    assert "Both passes agree and match the number on the envelope." in page.text
    confirm = client.get(f"/organise/decides/paper/{batch.id}/accept")
    assert "2 ballots" in confirm.text and "Yes, accept and count the batch" in confirm.text
    response = client.post(f"/organise/decides/paper/{batch.id}/accept")
    assert response.status_code == 302 and response.location.endswith("/organise/decides/paper")

    stored = _ballots()
    assert [x.channel for x in stored] == ["paper", "paper"]
    assert rounds.ballot_count(round_) == 2
    db.session.refresh(batch)
    assert batch.status == "accepted" and batch.accepted_by_id == users["second"].id
    assert "Accepted: counted as ballots" in client.get("/organise/decides/paper").text
    assert tallying.tally_round(round_).ballot_count == 2


def test_a_ranking_mismatch_is_shown_side_by_side_and_resolved(client):
    round_, (a, b, c), users = _world("ranking", {"max_choices": 3})
    _as(client, users["first"])
    batch = _new_batch(client, count="1")
    page = client.get(f"/organise/decides/paper/{batch.id}/pass/1")
    assert f'name="rank-{a.id}"' in page.text
    _key(client, batch, 1, 1, **{f"rank-{a.id}": "1", f"rank-{b.id}": "2"})
    _as(client, users["second"])
    _key(client, batch, 2, 1, **{f"rank-{b.id}": "1", f"rank-{a.id}": "2"})

    refused = client.post(f"/organise/decides/paper/{batch.id}/accept")
    assert refused.status_code == 400
    assert "The passes differ on 1 paper: 1." in refused.text
    assert _ballots() == []

    compare = client.get(f"/organise/decides/paper/{batch.id}/compare")
    row = re.search(r"Paper 1.*?</tr>", compare.text, re.S).group(0)
    assert "The marks are different." in row
    assert row.index("1. Allotment") < row.index("2. Bench") < row.index("1. Bench")
    response = client.post(f"/organise/decides/paper/{batch.id}/resolve",
                           data={"paper_number": "1", "chosen": "2"})
    assert response.status_code == 302
    assert "The two passes agree" in client.get(
        f"/organise/decides/paper/{batch.id}/compare").text
    assert client.post(f"/organise/decides/paper/{batch.id}/accept").status_code == 302
    (ballot,) = _ballots()
    assert [(ch.proposal_id, ch.value) for ch in ballot.choices] == [(b.id, 1), (a.id, 2)]
    resolved = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "paper.mismatch_resolved")).one()
    assert resolved.actor_id == users["second"].id
    assert resolved.details["pass_1"]["marks"] == [[a.id, 1], [b.id, 2]]
    assert resolved.details["pass_2"]["marks"] == [[b.id, 1], [a.id, 2]]


def test_a_missing_paper_stops_acceptance_with_a_clear_message(client):
    round_, (a, _b, _c), users = _world()
    _as(client, users["first"])
    batch = _new_batch(client, count="2")
    _key(client, batch, 1, 1, projects=[str(a.id)])
    _key(client, batch, 1, 2, projects=[str(a.id)])
    _as(client, users["second"])
    _key(client, batch, 2, 1, projects=[str(a.id)])
    confirm = client.get(f"/organise/decides/paper/{batch.id}/accept")
    assert "Pass 2 is missing 1 paper: 2." in confirm.text and "Yes, accept" not in confirm.text
    refused = client.post(f"/organise/decides/paper/{batch.id}/accept")
    assert refused.status_code == 400
    assert "The batch cannot be accepted yet." in refused.text
    assert "Pass 2 is missing 1 paper: 2." in refused.text
    assert _ballots() == []
    db.session.refresh(batch)
    assert batch.status == "keying"


def test_spoilt_papers_reconcile_but_are_not_ballots(client):
    round_, (a, b, _c), users = _world("approval", {"max_choices": 1})
    _as(client, users["first"])
    batch = _new_batch(client, count="2")
    # Too many ticks: refused unless it is marked spoilt with a reason; the ticks stay ticked.
    refused = _key(client, batch, 1, 1, projects=[str(a.id), str(b.id)])
    assert refused.status_code == 400
    assert "Choose no more than 1 project." in refused.text
    assert "tick “Spoilt paper” and say why" in refused.text
    assert f'value="{a.id}" checked' in refused.text and f'value="{b.id}" checked' in refused.text
    no_reason = _key(client, batch, 1, 1, projects=[str(a.id), str(b.id)], spoilt="y")
    assert no_reason.status_code == 400 and "Say why the paper cannot be counted" in no_reason.text
    for user, pass_number in ((users["first"], 1), (users["second"], 2)):
        _as(client, user)
        assert _key(client, batch, pass_number, 1, projects=[str(a.id), str(b.id)], spoilt="y",
                    spoilt_reason="Too many ticks").status_code == 302
        assert _key(client, batch, pass_number, 2, projects=[str(b.id)]).status_code == 302
    assert "1 ballot" in client.get(f"/organise/decides/paper/{batch.id}/accept").text
    assert client.post(f"/organise/decides/paper/{batch.id}/accept").status_code == 302
    (ballot,) = _ballots()
    assert [ch.proposal_id for ch in ballot.choices] == [b.id]


@pytest.mark.parametrize("number, message", [
    ("3", "Enter a paper number from 1 to 2"),
    ("0", "Enter a paper number from 1 to 2"),
    ("two", "Enter a paper number from 1 to 2"),
    ("1", "Paper 1 is already keyed in pass 1"),
])
def test_bad_paper_numbers_come_back_with_the_marks_kept(client, number, message):
    round_, (a, b, _c), users = _world()
    _as(client, users["first"])
    batch = _new_batch(client, count="2")
    _key(client, batch, 1, 1, projects=[str(a.id)])
    response = _key(client, batch, 1, number, projects=[str(b.id)])
    assert response.status_code == 400
    assert message in response.text
    assert 'href="#paper_number"' in response.text
    assert f'name="paper_number" type="text" value="{number}"' in response.text
    assert f'value="{b.id}" checked' in response.text
    assert len(db.session.scalars(select(PaperEntry)).all()) == 1


@pytest.mark.parametrize("count", ["0", "", "many", "1001"])
def test_a_batch_needs_a_number_of_papers(client, count):
    _round, _projects, users = _world()
    _as(client, users["first"])
    response = client.post("/organise/decides/paper/new",
                           data={"label": "Box 7", "declared_count": count})
    assert response.status_code == 400
    assert "Enter the number of papers written on the envelope, from 1 to 1000." in response.text
    assert 'value="Box 7"' in response.text
    assert db.session.scalars(select(PaperBatch)).all() == []


def test_a_closed_round_refuses_paper_ballots_and_says_so(client):
    round_, (a, _b, _c), users = _world()
    _as(client, users["first"])
    batch = _new_batch(client, count="1")
    _key(client, batch, 1, 1, projects=[str(a.id)])
    _as(client, users["second"])
    _key(client, batch, 2, 1, projects=[str(a.id)])
    page = client.get("/organise/decides")
    assert "1 batch of paper ballots is not accepted yet." in page.text
    rounds.close_voting(users["first"], round_)
    db.session.commit()
    assert "Batches not accepted before it closed are not counted" in client.get(
        "/organise/decides/paper").text
    refused = client.post(f"/organise/decides/paper/{batch.id}/accept")
    assert refused.status_code == 400
    assert "only be keyed and accepted while voting is open" in refused.text
    assert _ballots() == []


@pytest.mark.parametrize("who", ["member", "volunteer", "south-organiser"])
def test_only_the_rounds_organisers_reach_paper_pages(client, who):
    round_, (a, _b, _c), users = _world()
    _as(client, users["first"])
    batch = _new_batch(client, count="1")
    _as(client, users[who])
    base = f"/organise/decides/paper/{batch.id}"
    for method, url, data in [
        ("get", "/organise/decides/paper", None),
        ("post", "/organise/decides/paper/new", {"label": "Mine", "declared_count": "1"}),
        ("get", base, None),
        ("post", f"{base}/pass/1", {"paper_number": "1", "projects": str(a.id)}),
        ("get", f"{base}/compare", None),
        ("post", f"{base}/resolve", {"paper_number": "1", "chosen": "1"}),
        ("post", f"{base}/accept", None),
        ("post", f"{base}/abandon", None),
    ]:
        response = getattr(client, method)(url, data=data)
        assert response.status_code in (403, 404), (url, response.status_code)
    assert db.session.scalars(select(PaperEntry)).all() == []
    assert [b.label for b in db.session.scalars(select(PaperBatch))] == ["Library box"]


def test_a_batch_of_another_round_is_not_found(client):
    round_, _projects, users = _world()
    _as(client, users["first"])
    batch = _new_batch(client, count="1")
    factories.round_(round_.council, slug="other", status="voting",
                     partnership=round_.partnership)
    db.session.commit()
    assert client.get(f"/organise/other/paper/{batch.id}").status_code == 404
    assert client.get(f"/organise/decides/paper/{batch.id}/pass/3").status_code == 404


def test_every_step_is_in_the_audit_log(client):
    round_, (a, _b, _c), users = _world()
    _as(client, users["first"])
    batch = _new_batch(client, count="1")
    _key(client, batch, 1, 1, projects=[str(a.id)])
    client.post(f"/organise/decides/paper/{batch.id}/count", data={"count-declared_count": "2"})
    client.post(f"/organise/decides/paper/{batch.id}/abandon")
    actions = [(e.action, e.actor_id, e.round_id) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("paper.%")).order_by(AuditEntry.id))]
    first = users["first"].id
    assert actions == [("paper.batch_created", first, round_.id), ("paper.keyed", first, round_.id),
                       ("paper.count_changed", first, round_.id),
                       ("paper.batch_abandoned", first, round_.id)]
    assert "Abandoned: not counted" in client.get("/organise/decides/paper").text
    assert _key(client, batch, 1, 1, projects=[str(a.id)]).status_code == 400
