"""Email goes out over real SMTP after the commit, and waits in the outbox when it cannot."""

from __future__ import annotations

from sqlalchemy import select

from pb.extensions import db
from pb.models import OutgoingEmail
from pb.services import mail


def test_queued_email_reaches_the_smtp_server(app, mailbox):
    with app.test_request_context():
        mail.queue("resident@example.org", "Your proposal", "test", kind="test", name="Ann <b>")
        db.session.commit()
        assert mail.send_queued() == (1, 0)
    (message,) = mailbox.to("resident@example.org")
    assert message["Subject"] == "Your proposal"
    assert message["From"] == "pb@council.example"
    assert "Hello Ann <b>," in mailbox.body(message)  # plain text: no HTML escaping
    stored = db.session.scalars(select(OutgoingEmail)).one()
    assert stored.sent_at is not None and stored.attempts == 1


def test_mail_server_down_keeps_the_email_for_later(app, mailbox):
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 9  # nothing listens
    with app.test_request_context():
        mail.queue("a@example.org", "Hello", "test", name="A")
        db.session.commit()
        assert mail.send_queued() == (0, 1)
    stored = db.session.scalars(select(OutgoingEmail)).one()
    assert stored.sent_at is None and stored.attempts == 1 and stored.last_error
    assert mailbox.messages == []

    app.config["MAIL_PORT"] = port
    assert mail.send_queued() == (1, 0)
    assert len(mailbox.to("a@example.org")) == 1
    assert mail.send_queued() == (0, 0)  # never sent twice


def test_pb_mail_send_command(app, mailbox):
    with app.test_request_context():
        mail.queue("b@example.org", "Hello", "test", name="B")
        db.session.commit()
    from tests.test_cli import _run

    result = _run(app, "mail", "send")
    assert result.exit_code == 0, result.output
    assert "Sent 1 email" in result.output
    assert len(mailbox.to("b@example.org")) == 1


def test_looks_like_email():
    assert mail.looks_like_email("a@b.org")
    assert not mail.looks_like_email("01625 123456")
    assert not mail.looks_like_email("a b@c.org")
