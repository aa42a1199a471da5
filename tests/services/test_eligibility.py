"""Who may vote without a code: postcodes, declarations, email hashes and link claims."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pb.errors import DomainError, Problems
from pb.extensions import db
from pb.models import VoterCredential
from pb.services import eligibility
from tests import factories


@pytest.fixture
def round_(app):
    council, (north, _south) = factories.council_with_partnerships()
    r = factories.round_(council, slug="spring", status="voting", voting_methods=["email"],
                         eligible_districts=["SK10", "SK11"], min_age=16)
    factories.proposal(r, north, "Bench", 200_00)
    db.session.commit()
    return r


@pytest.mark.parametrize(("typed", "district"), [
    ("SK11 6DA", "SK11"), ("sk116da", "SK11"), ("  sk10   1aa ", "SK10"),
])
def test_postcodes_in_the_area_give_their_district(round_, typed, district):
    assert eligibility.postcode_district(round_, typed) == district


@pytest.mark.parametrize("typed", ["SK1", "SK11", "SK11 6D", "SK11 6DAA", "11SK 6DA",
                                   "SK11 6DO", "", None, "SK11-6DA"])
def test_things_that_are_not_postcodes_are_refused(round_, typed):
    with pytest.raises(DomainError) as caught:
        eligibility.postcode_district(round_, typed)
    assert caught.value.field == "postcode" and "full UK postcode" in caught.value.message


def test_districts_come_from_the_round_or_its_areas(round_):
    with pytest.raises(DomainError, match="SK12 1AA is not in them"):
        eligibility.postcode_district(round_, "SK12 1AA")
    round_.eligible_districts = []
    assert eligibility.postcode_district(round_, "SK12 1AA") == "SK12"  # anywhere in the UK
    factories.area(round_.council.partnerships[0], "SK17", kind="postcode_district")
    assert round_.eligible_postcode_districts() == ["SK17"]
    with pytest.raises(DomainError):
        eligibility.postcode_district(round_, "SK12 1AA")
    assert eligibility.postcode_district(round_, "SK17 6AB") == "SK17"


def test_declarations_are_needed_only_where_the_round_sets_them(round_):
    problems = eligibility.declaration_problems(round_, False, False)
    assert [p.field for p in problems] == ["old_enough", "in_area"]
    assert eligibility.declaration_problems(round_, True, True) == []
    round_.min_age, round_.eligible_districts = None, []
    assert eligibility.declaration_problems(round_, False, False) == []


def test_the_email_hash_is_keyed_and_bound_to_the_round(app, round_):
    other = factories.round_(round_.council, slug="autumn", status="voting")
    one = eligibility.email_hash(round_, "Someone@Example.org ")
    assert one == eligibility.email_hash(round_, "someone@example.org")
    assert len(one) == 64 and "someone" not in one
    assert one != eligibility.email_hash(other, "someone@example.org")
    app.config["SECRET_KEY"] = "another-key"
    assert one != eligibility.email_hash(round_, "someone@example.org")


def _token_of_last_request(monkeypatch) -> list[str]:
    tokens: list[str] = []
    original = eligibility._serializer

    class Recording:
        def __init__(self):
            self.inner = original()

        def dumps(self, payload):
            token = self.inner.dumps(payload)
            tokens.append(token)
            return token

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(eligibility, "_serializer", Recording)
    return tokens


def test_a_link_is_claimed_once(app, round_, monkeypatch):
    tokens = _token_of_last_request(monkeypatch)
    with app.test_request_context():
        eligibility.request_link(round_, "a@example.org", "SK10 1AA", True, True)
    db.session.commit()
    credential = db.session.scalars(select(VoterCredential)).one()
    assert credential.kind == "email" and credential.link_nonce_hash is not None
    first = eligibility.claim_link(round_, tokens[-1])
    assert first.problem is None and first.district == "SK10"
    second = eligibility.claim_link(round_, tokens[-1])
    assert second.problem == eligibility.USED


def test_requests_without_what_is_needed_raise_every_problem(app, round_):
    with app.test_request_context(), pytest.raises(Problems) as caught:
        eligibility.request_link(round_, "nope", "nowhere", False, False)
    assert [p.field for p in caught.value.problems] == ["email", "postcode", "old_enough",
                                                        "in_area"]
    assert db.session.scalars(select(VoterCredential)).first() is None


def test_no_links_or_postcode_votes_unless_voting_is_open_and_offered(app, round_):
    with app.test_request_context():
        with pytest.raises(DomainError, match="does not offer"):
            eligibility.postcode_credential(round_, "SK10 1AA", True, True)
        round_.status = "closed"
        with pytest.raises(DomainError, match="has closed"):
            eligibility.request_link(round_, "a@example.org", "SK10 1AA", True, True)


def test_equality_answers_must_be_known_or_empty(app, round_):
    round_.equality_questions = True
    response = eligibility.record_equality(round_, {"sex": "prefer-not", "age_band": None})
    assert (response.sex, response.age_band) == ("prefer-not", "")
    with pytest.raises(DomainError) as caught:
        eligibility.record_equality(round_, {"ethnicity": "martian"})
    assert caught.value.field == "ethnicity"
    round_.equality_questions = False
    with pytest.raises(DomainError):
        eligibility.record_equality(round_, {})
