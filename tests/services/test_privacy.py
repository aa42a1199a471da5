"""Ballots cannot be linked to a person, and personal data goes after the retention period."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from pb.extensions import db
from pb.models import (AuditEntry, Ballot, BallotChoice, EqualityResponse, Follower,
                       OutgoingEmail, Proposal, Round, VoterCredential)
from pb.models.types import utcnow
from pb.models.user import ORGANISER
from pb.services import eligibility, privacy, results, rounds, tallying, voting
from tests import factories

# Tables a ballot, or a table a ballot points at, may point at: none of them holds a person.
BALLOT_MAY_POINT_AT = {"ballots": {"rounds", "voter_credentials"},
                       "ballot_choices": {"ballots", "proposals"},
                       "voter_credentials": {"rounds", "code_batches"}}
# Words in a column's name that would name or locate a person.
PERSONAL_WORDS = ("email", "name", "postcode", "user", "address", "phone", "ip", "contact",
                  "session", "account", "actor")


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- Unlinkability -----------------------------------------------------------------------------

@pytest.mark.parametrize("table", sorted(BALLOT_MAY_POINT_AT))
def test_a_ballot_leads_to_no_person(app, table):
    """No foreign key from a ballot, its choices or its credential to a table about people,
    and no column that holds a name, an address or an account."""
    found = db.metadata.tables[table]
    assert {fk.column.table.name for fk in found.foreign_keys} <= BALLOT_MAY_POINT_AT[table]
    personal = [c.name for c in found.columns
                if set(c.name.lower().split("_")) & set(PERSONAL_WORDS)]
    assert personal == []


def test_nothing_but_a_ballots_own_choices_points_at_a_ballot(app):
    """Equality answers, outbox rows, audit entries and the rest have no key to a ballot or
    a credential, so no join leads from a person's row to a ballot."""
    pointing = {(t.name, fk.column.table.name) for t in db.metadata.tables.values()
                for fk in t.foreign_keys if fk.column.table.name in ("ballots",
                                                                      "voter_credentials")}
    assert pointing == {("ballot_choices", "ballots"), ("ballots", "voter_credentials")}


def test_equality_answers_have_nothing_to_join_on(app):
    table = db.metadata.tables["equality_responses"]
    assert {fk.column.table.name for fk in table.foreign_keys} == {"rounds"}
    assert {c.name for c in table.columns} == {"id", "round_id", "age_band", "sex", "ethnicity",
                                              "disability", "welsh_speaker"}
    assert not isinstance(table.c.id.type.python_type(), int)  # no sequence to line up


def _answers(i: int) -> dict[str, str]:
    """A set of answers different for each i below 24."""
    ages = ["under-16", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-plus"]
    return {"age_band": ages[i % 8], "sex": ["female", "male", "other"][i // 8]}


def _stored_order() -> list[tuple[str, str]]:
    """The equality rows in the order the database keeps them (SQLite's hidden rowid,
    PostgreSQL's place in the table): what someone reading the files would see."""
    physical = "rowid" if db.session.get_bind().dialect.name == "sqlite" else "ctid"
    return [tuple(row) for row in db.session.execute(text(
        f"SELECT age_band, sex FROM equality_responses ORDER BY {physical}"))]


def test_equality_answers_are_not_stored_in_the_order_of_the_ballots(app):
    """Each voter answers just after casting a ballot. If the rows stayed in arrival order,
    the n-th set of answers would belong to the n-th ballot."""
    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "organiser@example.org", ORGANISER)
    r = factories.round_(council, pot=1_000_00, equality_questions=True)
    bench = factories.proposal(r, north, "Bench", 100_00)
    rounds.open_voting(organiser, r)
    given = []
    for i, code in enumerate(voting.issue_codes(organiser, r, 16)):
        voting.cast_ballot(voting.find_credential(code).id, [bench.id])
        eligibility.record_equality(r, _answers(i))
        given.append(tuple(_answers(i).values()))
        db.session.commit()
    stored = _stored_order()
    assert sorted(stored) == sorted(given)  # every set of answers is kept, once
    # A uniformly shuffled order of 16 is the arrival order once in 16! (2e13) times.
    assert stored != given
    by_key = [tuple(row) for row in db.session.execute(
        select(EqualityResponse.age_band, EqualityResponse.sex).order_by(EqualityResponse.id))]
    assert by_key != given


def test_the_email_hash_uses_a_key_derived_from_the_secret_key(app):
    council, _parts = factories.council_with_partnerships()
    r = factories.round_(council, status="voting", voting_methods=["email"])
    stored = eligibility.email_hash(r, "resident@example.org")
    message = f"pb-vote-email:{r.id}:resident@example.org".encode()
    secret = app.config["SECRET_KEY"].encode()
    # Not a plain hash anyone could recompute from an address they guess...
    for guess in (b"resident@example.org", message):
        assert stored not in (hashlib.sha256(guess).hexdigest(), hashlib.md5(guess).hexdigest())
    # ...nor keyed with the secret key itself (which also signs cookies and links)...
    assert stored != hmac.new(secret, message, hashlib.sha256).hexdigest()
    # ...but with a key derived from it.
    derived = hmac.new(secret, b"pb-personal-data-hash-key-v1", hashlib.sha256).digest()
    assert stored == hmac.new(derived, message, hashlib.sha256).hexdigest()
    app.config["SECRET_KEY"] = "another secret"
    assert eligibility.email_hash(r, "resident@example.org") != stored


def test_an_address_hashed_the_old_way_still_finds_its_credential(app):
    council, _parts = factories.council_with_partnerships()
    r = factories.round_(council, status="voting", voting_methods=["email"])
    old = eligibility._legacy_email_hash(r, "resident@example.org")
    db.session.add(VoterCredential(round_id=r.id, kind="email", code_hash=old))
    db.session.commit()
    with app.test_request_context():
        eligibility.request_link(r, "Resident@example.org", "SK11 6DA")
    assert _count(VoterCredential, VoterCredential.kind == "email") == 1


# --- Retention and the purge -------------------------------------------------------------------

@pytest.fixture
def world(app):
    """A published round with votes by code, email and postcode, equality answers, voting
    email still in the outbox, three followers and proposers' contact details."""
    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "organiser@example.org", ORGANISER)
    r = factories.round_(council, pot=1_000_00, voting_methods=["codes", "email", "postcode"],
                         equality_questions=True)
    allotment, shelter, fridge = (factories.proposal(r, north, t, c) for t, c in (
        ("Allotment", 600_00), ("Bus shelter", 400_00), ("Community fridge", 500_00)))
    rounds.open_voting(organiser, r)
    votes = [[allotment, shelter], [allotment], [allotment, fridge], [shelter],
             [allotment, shelter], [shelter, fridge]]
    credentials = [voting.find_credential(c) for c in voting.issue_codes(organiser, r, 2)]
    with app.test_request_context():
        for address in ("ann@example.org", "bob@example.org"):
            eligibility.request_link(r, address, "SK11 6DA", True, True)
    credentials += db.session.scalars(select(VoterCredential).where(
        VoterCredential.kind == "email").order_by(VoterCredential.id)).all()
    credentials += [voting.one_off_credential(r, "postcode") for _ in range(2)]
    for i, (credential, chosen) in enumerate(zip(credentials, votes)):
        voting.cast_ballot(credential.id, [p.id for p in chosen], district="SK11")
        eligibility.record_equality(r, _answers(i))
    now = utcnow()
    db.session.add_all([
        Follower(round=r, email="keen@example.org", confirmed_at=now),
        Follower(round=r, email="never@example.org"),
        Follower(round=r, email="gone@example.org", confirmed_at=now, unsubscribed_at=now),
    ])
    rounds.close_voting(organiser, r)
    rounds.publish_results(organiser, r)
    db.session.commit()
    return {"round": r, "organiser": organiser, "projects": (allotment, shelter, fridge)}


def _due(r: Round, days: int = 1):
    return r.published_at + timedelta(days=r.personal_data_retention_days + days)


def _recount(r: Round) -> tuple:
    result = tallying.tally_round(r, store=False)
    return result.data, result.ballot_count, result.ballots_sha256, result.spent


def test_nothing_goes_before_the_retention_period_ends(world):
    r = world["round"]
    assert r.personal_data_retention_days == 90
    assert r.personal_data_due_at == r.published_at + timedelta(days=90)
    assert privacy.purge(now=_due(r, -1)) == []
    assert r.personal_data_purged_at is None
    assert _count(EqualityResponse) == 6 and _count(Follower) == 3


def test_the_purge_deletes_personal_data_and_keeps_the_anonymised_ballots(world):
    r = world["round"]
    before = _recount(r)
    equality_before = results.equality_dict(r)
    choices_before = _count(BallotChoice)
    [done] = privacy.purge(now=_due(r))
    db.session.commit()
    assert done.counts == {"followers": 2, "equality_answers": 6, "ballots_unlinked": 6,
                           "credentials": 4, "emails": 2, "proposer_contacts": 1}
    assert _count(EqualityResponse) == 0
    assert _count(VoterCredential, VoterCredential.kind.in_(("email", "postcode"))) == 0
    assert _count(VoterCredential, VoterCredential.link_nonce_hash.is_not(None)) == 0
    assert _count(OutgoingEmail, OutgoingEmail.kind.like("vote.%")) == 0
    assert db.session.scalars(select(Follower.email)).all() == ["keen@example.org"]
    allotment, shelter, fridge = world["projects"]
    assert [db.session.get(Proposal, p.id).contact for p in (allotment, shelter, fridge)] == \
        ["x@example.org", "x@example.org", ""]  # funded projects keep their proposer's
    # The ballots stay, unlinked, with their times rounded to the hour.
    ballots = db.session.scalars(select(Ballot)).all()
    assert len(ballots) == 6 and _count(BallotChoice) == choices_before
    assert all(b.credential_id is None for b in ballots)
    assert all((b.cast_at.minute, b.cast_at.second, b.cast_at.microsecond) == (0, 0, 0)
               for b in ballots)
    # The count, a recount and the published equality totals are what they were.
    assert _recount(r) == before
    assert results.equality_dict(r) == equality_before
    assert results.equality_response_count(r) == 6
    db.session.refresh(r)
    assert r.personal_data_purged_at == _due(r)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "round.personal_data_purged")).one()
    assert entry.actor == "system" and entry.round_id == r.id
    assert entry.details["equality_answers"] == 6 and entry.details["credentials"] == 4


def test_the_purge_can_run_every_day(world):
    r = world["round"]
    assert len(privacy.purge(now=_due(r))) == 1
    db.session.commit()
    assert privacy.purge(now=_due(r, 2)) == []
    db.session.commit()
    entries = _count(AuditEntry, AuditEntry.action == "round.personal_data_purged")
    assert entries == 1
    # A follower who stops the updates later is deleted by the next run.
    keen = db.session.scalars(select(Follower)).one()
    keen.unsubscribed_at = utcnow()
    db.session.commit()
    [later] = privacy.purge(now=_due(r, 3))
    assert later.counts == {"followers": 1} and not later.first
    assert _count(Follower) == 0


def test_a_dry_run_counts_and_changes_nothing(world):
    r = world["round"]
    [done] = privacy.purge(now=_due(r), dry_run=True)
    assert done.counts["equality_answers"] == 6 and done.counts["credentials"] == 4
    db.session.rollback()
    assert _count(EqualityResponse) == 6 and _count(Follower) == 3
    assert _count(Ballot, Ballot.credential_id.is_not(None)) == 6
    assert db.session.get(Round, r.id).personal_data_purged_at is None
    assert _count(AuditEntry, AuditEntry.action == "round.personal_data_purged") == 0


def test_the_period_is_the_rounds_and_counts_from_voting_close_if_never_published(app):
    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "organiser@example.org", ORGANISER)
    r = factories.round_(council, pot=1_000_00, equality_questions=True,
                         personal_data_retention_days=10)
    factories.proposal(r, north, "Bench", 100_00)
    assert r.personal_data_due_at is None  # not before voting has closed
    rounds.open_voting(organiser, r)
    eligibility.record_equality(r, _answers(0))
    assert r.personal_data_due_at is None  # nor while it is open
    rounds.close_voting(organiser, r)
    db.session.commit()
    assert r.personal_data_due_at == r.voting_closed_at + timedelta(days=10)
    assert privacy.purge(now=r.voting_closed_at + timedelta(days=9)) == []
    assert [p.round.slug for p in privacy.purge(
        now=r.voting_closed_at + timedelta(days=10))] == [r.slug]
    assert _count(EqualityResponse) == 0


def test_only_the_round_asked_for_is_purged(world, app):
    r = world["round"]
    assert privacy.purge(now=_due(r), slug="another-round") == []
    assert _count(EqualityResponse) == 6
    assert len(privacy.purge(now=_due(r), slug=r.slug)) == 1


def test_every_follower_goes_once_every_funded_project_is_delivered(world):
    from pb.models import DeliveryUpdate
    from pb.services import delivery

    r = world["round"]
    funded = delivery.funded_projects(r)
    for i, (project, award) in enumerate(funded):
        # The last project is still under way at first: confirmed followers stay.
        status = "in_progress" if i == len(funded) - 1 else "delivered"
        db.session.add(DeliveryUpdate(proposal=project, author=world["organiser"],
                                      status=status, spent_to_date=award))
    db.session.commit()
    [done] = privacy.purge(now=_due(r), dry_run=True)
    assert done.counts["followers"] == 2
    db.session.rollback()
    db.session.add(DeliveryUpdate(proposal=funded[-1][0], author=world["organiser"],
                                  status="withdrawn", spent_to_date=0))
    db.session.commit()
    [done] = privacy.purge(now=_due(r))
    assert done.counts["followers"] == 3 and _count(Follower) == 0
