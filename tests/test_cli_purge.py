"""`pb purge`: deletes personal data past each round's retention period; safe from cron."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from pb.extensions import db
from pb.models import AuditEntry, EqualityResponse, Round
from tests.services.test_privacy import world  # noqa: F401  (the fixture)
from tests.test_cli import _run


def _answers() -> int:
    return db.session.scalar(select(func.count()).select_from(EqualityResponse)) or 0


def _when(r: Round, days: int) -> str:
    return (r.published_at + timedelta(days=days)).isoformat()


def test_a_dry_run_says_what_would_go_and_deletes_nothing(app, world):  # noqa: F811
    r = world["round"]
    result = _run(app, "purge", "--dry-run", "--now", _when(r, 91))
    assert result.exit_code == 0, result.output
    assert result.output == ("spring: Would delete 2 followers, 6 equality answers, "
                             "6 ballots unlinked, 4 credentials, 2 emails, "
                             "1 proposer contacts.\n")
    db.session.expire_all()
    assert _answers() == 6 and db.session.get(Round, r.id).personal_data_purged_at is None


def test_purge_deletes_once_and_then_has_nothing_to_do(app, world):  # noqa: F811
    r = world["round"]
    early = _run(app, "purge", "--now", _when(r, 89))
    assert (early.exit_code, early.output) == (
        0, "No round's personal data is due for deletion.\n")
    first = _run(app, "purge", "--now", _when(r, 91))
    assert first.exit_code == 0, first.output
    assert first.output.startswith("spring: Deleted 2 followers, 6 equality answers")
    db.session.expire_all()
    assert _answers() == 0
    assert db.session.get(Round, r.id).personal_data_purged_at is not None
    again = _run(app, "purge", "--now", _when(r, 92))
    assert (again.exit_code, again.output) == (
        0, "No round's personal data is due for deletion.\n")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "round.personal_data_purged")) == 1
    assert _run(app, "audit", "verify").exit_code == 0


def test_only_the_named_round(app, world):  # noqa: F811
    r = world["round"]
    missing = _run(app, "purge", "--round", "no-such-round", "--now", _when(r, 91))
    assert missing.exit_code == 1 and "there is no round 'no-such-round'" in missing.output
    assert _run(app, "purge", "--round", "spring", "--now", _when(r, 91)).exit_code == 0
    db.session.expire_all()
    assert _answers() == 0


def test_a_bad_time_is_refused(app, world):  # noqa: F811
    result = _run(app, "purge", "--now", "next tuesday")
    assert result.exit_code == 2 and "is not a date and time" in result.output
    db.session.expire_all()
    assert _answers() == 6


def test_without_now_it_uses_the_clock(app, world):  # noqa: F811
    result = _run(app, "purge")  # published a moment ago: 90 days to go
    assert (result.exit_code, result.output) == (
        0, "No round's personal data is due for deletion.\n")
