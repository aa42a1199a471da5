"""Rate limits: the attempt after the limit is refused with a friendly 429, counts are shared
through Redis by every app instance, and a voting code cannot be guessed within them.

The Redis tests use PB_TEST_REDIS_URL (CI: redis://127.0.0.1:6379/13) and empty only that
database. When it is set and Redis cannot be reached they fail; they never skip then.
"""

from __future__ import annotations

import math
import os
from datetime import timedelta

import pytest
from limits import parse_many

from pb import limits
from pb.extensions import db, limiter
from pb.services import voting
from tests import factories
from tests.conftest import _config, _running_app

REDIS_URL = os.environ.get("PB_TEST_REDIS_URL")


@pytest.fixture
def redis_url():
    """The test Redis database, emptied; a failure (not a skip) if it is configured but down."""
    if not REDIS_URL:
        pytest.skip("PB_TEST_REDIS_URL is not set")
    import redis

    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        connection.ping()
    except redis.exceptions.RedisError as error:
        pytest.fail(f"PB_TEST_REDIS_URL is set but Redis is not reachable: {error}")
    connection.flushdb()  # this database only
    yield REDIS_URL
    connection.flushdb()
    connection.close()


def _limited(database_url, tmp_path, redis_url=None, **extra):
    return _running_app({**_config(database_url, tmp_path), "PB_RATE_LIMITS": True,
                         "PB_REDIS_URL": redis_url, **extra})


@pytest.fixture
def limited_app(request, database_url, tmp_path):
    """Limits on, counted in the test Redis when configured, else in memory."""
    storage = request.getfixturevalue("redis_url") if REDIS_URL else None
    yield from _limited(database_url, tmp_path, storage)


def first_window(limit_string: str) -> int:
    """How many attempts the shortest window of a limit allows."""
    return min(parse_many(limit_string), key=lambda item: item.get_expiry()).amount


def _voting_round():
    from pb.services import rounds

    council, (north,) = factories.council_with_partnerships(["North"])
    organiser = factories.user(council, "org@x.example", "organiser")
    round_ = factories.round_(council, slug="limits",
                              voting_methods=["codes", "kiosk", "email", "postcode"])
    factories.proposal(round_, north, "Bench", 100_00)
    rounds.open_voting(organiser, round_)
    codes = voting.issue_codes(organiser, round_, 2)
    db.session.commit()
    return round_, codes


def from_ip(address: str) -> dict:
    return {"REMOTE_ADDR": address}


# Each limited form: its address, what one attempt sends, the limit, and whether the limit is
# per client address ("ip") or per email address ("email": attempts come from many addresses).
LIMITED = [
    ("sign-in per address", "/auth/login", limits.SIGN_IN_PER_IP, "ip",
     lambda n: {"email": f"nobody{n}@x.example", "password": "wrong password"}),
    ("sign-in per email", "/auth/login", limits.SIGN_IN_PER_EMAIL, "email",
     lambda n: {"email": "Org@X.example " if n % 2 else "org@x.example", "password": "wrong"}),
    ("voting code", "/vote/", limits.CODE_FAILURES_PER_IP, "ip",
     lambda n: {"code": f"AAAAA-{n:05d}"}),
    ("email link per address", "/vote/limits/email", limits.EMAIL_LINK_PER_IP, "ip",
     lambda n: {"email": f"r{n}@x.example", "postcode": "SK10 1AA"}),
    ("email link per email", "/vote/limits/email", limits.EMAIL_LINK_PER_ADDRESS, "email",
     lambda n: {"email": "resident@x.example", "postcode": "SK10 1AA"}),
    ("postcode", "/vote/limits/postcode", limits.POSTCODE_PER_IP, "ip",
     lambda n: {"postcode": "XX1 1XX"}),
    ("registration", "/auth/register", limits.REGISTER_PER_IP, "ip",
     lambda n: {"name": "A", "email": "bad", "password": "short"}),
    ("invitation", "/auth/invitations/not-a-token", limits.INVITATION_PER_IP, "ip",
     lambda n: {"password": "wrong"}),
    ("kiosk ballots", "/vote/kiosk/begin", limits.KIOSK_BALLOTS_PER_IP, "ip", lambda n: {}),
]


@pytest.mark.parametrize("name, url, limit, per, payload", LIMITED, ids=[c[0] for c in LIMITED])
def test_the_attempt_after_the_limit_is_refused(limited_app, name, url, limit, per, payload):
    _voting_round()
    client = limited_app.test_client()
    allowed = first_window(limit)
    for n in range(allowed):
        environ = from_ip("198.51.100.7" if per == "ip" else f"198.51.100.{n + 1}")
        response = client.post(url, data=payload(n), environ_base=environ)
        assert response.status_code != 429, (name, n)
    environ = from_ip("198.51.100.7" if per == "ip" else "198.51.100.250")
    refused = client.post(url, data=payload(allowed), environ_base=environ)
    assert refused.status_code == 429, name
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many attempts" in refused.get_data(as_text=True)
    # Someone else, from another address and with another email, is not held up.
    other = client.post(url, data=payload(10_000) | ({"email": "else@x.example"}
                                                     if per == "email" else {}),
                        environ_base=from_ip("192.0.2.55"))
    assert other.status_code != 429


def test_a_right_code_after_the_limit_is_still_refused_and_nothing_is_cast(limited_app):
    from pb.models import Ballot

    _round, codes = _voting_round()
    client = limited_app.test_client()
    for n in range(first_window(limits.CODE_FAILURES_PER_IP)):
        assert client.post("/vote/", data={"code": f"AAAAA-{n:05d}"}).status_code == 400
    refused = client.post("/vote/", data={"code": codes[0]})
    assert refused.status_code == 429
    assert "/vote/ballot" not in refused.headers.get("Location", "")
    assert db.session.query(Ballot).count() == 0


def test_right_codes_do_not_use_up_the_limit(limited_app):
    _round, codes = _voting_round()
    client = limited_app.test_client()
    for _n in range(first_window(limits.CODE_FAILURES_PER_IP) + 2):
        assert client.post("/vote/", data={"code": codes[0]}).status_code == 302


def test_the_refusal_is_in_welsh_for_a_welsh_reader(limited_app):
    client = limited_app.test_client()
    for n in range(first_window(limits.CODE_FAILURES_PER_IP) + 1):
        response = client.post("/vote/?lang=cy", data={"code": f"AAAAA-{n:05d}"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Gormod o ymdrechion" in page and 'lang="cy"' in page


def test_the_api_answers_json_when_limited(limited_app):
    client = limited_app.test_client()
    for _n in range(first_window(limits.API_PER_IP)):
        assert client.get("/api/v1/rounds").status_code == 200
    refused = client.get("/api/v1/rounds")
    assert refused.status_code == 429 and refused.is_json
    assert refused.get_json()["error"]["status"] == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_limits_are_shared_by_every_instance_through_redis(database_url, tmp_path, redis_url):
    """Two app instances (as two workers or servers would be) count against one limit."""
    from limits.storage import RedisStorage

    allowed = first_window(limits.CODE_FAILURES_PER_IP)
    for first in _limited(database_url, tmp_path / "a", redis_url):
        assert isinstance(limiter.storage, RedisStorage)
        client = first.test_client()
        for n in range(allowed):
            assert client.post("/vote/", data={"code": f"AAAAA-{n:05d}"}).status_code == 400
    for second in _limited(database_url, tmp_path / "b", redis_url):
        assert second is not first
        refused = second.test_client().post("/vote/", data={"code": "AAAAA-99999"})
        assert refused.status_code == 429


def test_without_redis_the_counts_are_kept_in_memory(database_url, tmp_path):
    from limits.storage import MemoryStorage

    allowed = first_window(limits.CODE_FAILURES_PER_IP)
    for app in _limited(database_url, tmp_path / "a"):
        assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
        assert isinstance(limiter.storage, MemoryStorage)
        client = app.test_client()
        for n in range(allowed):
            assert client.post("/vote/", data={"code": f"AAAAA-{n:05d}"}).status_code == 400
        assert client.post("/vote/", data={"code": "AAAAA-99999"}).status_code == 429
    # Memory belongs to one instance: another starts from nothing.
    for app in _limited(database_url, tmp_path / "b"):
        assert app.test_client().post("/vote/", data={"code": "AAAAA-99999"}).status_code == 400


def test_limits_can_be_turned_off(database_url, tmp_path):
    for app in _limited(database_url, tmp_path, PB_RATE_LIMITS=False):
        client = app.test_client()
        for n in range(first_window(limits.CODE_FAILURES_PER_IP) + 3):
            assert client.post("/vote/", data={"code": f"AAAAA-{n:05d}"}).status_code == 400


def test_rate_limit_settings_come_from_the_environment(monkeypatch, tmp_path):
    from pb import config

    monkeypatch.setenv("PB_RATE_LIMITS", "off")
    monkeypatch.setenv("PB_REDIS_URL", "redis://127.0.0.1:6379/13")
    settings = config.from_environment(tmp_path)
    assert settings["PB_RATE_LIMITS"] is False
    assert settings["PB_REDIS_URL"] == "redis://127.0.0.1:6379/13"
    monkeypatch.delenv("PB_RATE_LIMITS")
    monkeypatch.delenv("PB_REDIS_URL")
    settings = config.from_environment(tmp_path)
    assert settings["PB_RATE_LIMITS"] is True and settings["PB_REDIS_URL"] is None


def test_limits_key_on_the_real_client_behind_a_trusted_proxy(database_url, tmp_path):
    """Behind one trusted proxy each resident has their own count; without trusting it, a
    client cannot dodge its limit by claiming another address in X-Forwarded-For."""
    allowed = first_window(limits.CODE_FAILURES_PER_IP)
    for proxies, dodged in ((1, True), (0, False)):
        for app in _limited(database_url, tmp_path / str(proxies), PB_TRUSTED_PROXIES=proxies):
            client = app.test_client()
            for n in range(allowed):
                client.post("/vote/", data={"code": f"AAAAA-{n:05d}"},
                            headers={"X-Forwarded-For": "203.0.113.1"})
            response = client.post("/vote/", data={"code": "AAAAA-99999"},
                                   headers={"X-Forwarded-For": "203.0.113.2"})
            assert (response.status_code != 429) is dodged, proxies


# Voting codes cannot be guessed within the limits.
VOTING_PERIOD = timedelta(days=30)
CODES_ISSUED = 100_000


def most_guesses(limit_string: str, period: timedelta) -> int:
    """The most attempts one client address can make in `period` under every window."""
    seconds = period.total_seconds()
    # A fixed window can be used up at its end and again at the start of the next one.
    return min(item.amount * (math.ceil(seconds / item.get_expiry()) + 1)
               for item in parse_many(limit_string))


def test_a_code_cannot_be_guessed_within_a_voting_period():
    space = len(set(voting.ALPHABET)) ** voting.CODE_LENGTH
    guesses = most_guesses(limits.CODE_FAILURES_PER_IP, VOTING_PERIOD)
    chance = 1 - (1 - CODES_ISSUED / space) ** guesses
    assert chance < 1e-6, f"{guesses} guesses at {CODES_ISSUED} codes: {chance:.2e}"
    # And the codes really have that much randomness: the alphabet has no letters that read
    # as another, so normalising what a resident types loses nothing.
    assert len(voting.normalise_code(voting.new_code())) == voting.CODE_LENGTH
    assert all(voting.normalise_code(ch) == ch for ch in voting.ALPHABET)


def test_codes_are_stored_under_a_key_and_old_unkeyed_codes_still_work(app):
    import hashlib

    from pb.models import VoterCredential

    round_, codes = _voting_round()
    stored = {c.code_hash for c in db.session.query(VoterCredential)}
    plain = {hashlib.sha256(f"pb-code:{voting.normalise_code(c)}".encode()).hexdigest()
             for c in codes}
    assert stored == {voting.code_hash(c) for c in codes} and not stored & plain
    # The key comes from SECRET_KEY: another key gives other hashes.
    app.config["SECRET_KEY"] = "another-secret"
    assert voting.code_hash(codes[0]) not in stored
    app.config["SECRET_KEY"] = "test-secret-key"
    # A code issued before the keyed hash (stored as plain SHA-256) is still recognised.
    legacy = VoterCredential(round_id=round_.id, code_hash=voting.legacy_code_hash("ABCDE-12345"))
    db.session.add(legacy)
    db.session.commit()
    assert voting.find_credential("abcde 12345").id == legacy.id
    assert voting.find_credential(codes[1]).round_id == round_.id


def test_a_longer_wait_names_the_time_to_come_back(limited_app):
    client = limited_app.test_client()
    for _n in range(first_window(limits.REGISTER_PER_IP)):
        client.post("/auth/register", data={"name": "A", "email": "bad", "password": "short"})
    refused = client.post("/auth/register", data={"name": "A", "email": "bad"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 90
    assert "You can try again after" in refused.get_data(as_text=True)


def test_with_redis_down_the_site_still_answers_and_limits_in_memory(database_url, tmp_path):
    """Redis going away must not stop voting: each process counts in memory meanwhile."""
    allowed = first_window(limits.CODE_FAILURES_PER_IP)
    for app in _limited(database_url, tmp_path, "redis://127.0.0.1:9/13"):  # nothing listens
        client = app.test_client()
        for n in range(allowed):
            assert client.post("/vote/", data={"code": f"AAAAA-{n:05d}"}).status_code == 400
        assert client.post("/vote/", data={"code": "AAAAA-99999"}).status_code == 429


def test_addresses_of_one_ipv6_network_share_a_count(limited_app):
    client = limited_app.test_client()
    for n in range(first_window(limits.CODE_FAILURES_PER_IP)):
        client.post("/vote/", data={"code": f"AAAAA-{n:05d}"},
                    environ_base=from_ip(f"2001:db8:1:2::{n + 1:x}"))
    same_network = client.post("/vote/", data={"code": "AAAAA-99999"},
                               environ_base=from_ip("2001:db8:1:2:ffff::9"))
    assert same_network.status_code == 429
    other_network = client.post("/vote/", data={"code": "AAAAA-99999"},
                                environ_base=from_ip("2001:db8:1:3::1"))
    assert other_network.status_code == 400
