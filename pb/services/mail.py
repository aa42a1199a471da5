"""Email: queued in the outbox with the change it reports, sent over SMTP after the commit.

A change never fails because the mail server is down: the email stays in the outbox and
`pb mail send` (or the next request that queues mail) tries again.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale, get_locale
from sqlalchemy import select

from ..extensions import db
from ..models import OutgoingEmail
from ..models.types import utcnow

MAX_ATTEMPTS = 5
# Email about voting is forgotten once sent: the outbox must not keep a list of who asked to
# vote, nor a link that still works.
FORGET_AFTER_SENDING = ("vote.",)


LANGUAGES = ("en", "cy")


def current_language() -> str:
    """The language of the page being served ("en" outside a request)."""
    locale = str(get_locale() or "en") if has_request_context() else "en"
    return locale if locale in LANGUAGES else "en"


def queue(to: str, subject, template: str, kind: str = "", locale: str | None = None,
          **context) -> OutgoingEmail:
    """Render `templates/emails/<template>.txt` and put the email in the outbox.

    The subject may be a lazy string: it is written, like the body, in `locale` (the
    recipient's language) when given, else in the language of the page being served.
    """
    if has_request_context():
        subject, body = _render(subject, template, locale, context)
    else:  # from the command line: links point at the configured public address
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            subject, body = _render(subject, template, locale, context)
    round_ = context.get("round") if kind.startswith(FORGET_AFTER_SENDING) else None
    email = OutgoingEmail(to=to.strip(), subject=subject, body=body, kind=kind,
                          round_id=getattr(round_, "id", None))
    db.session.add(email)
    db.session.flush()
    if has_request_context():
        g.pb_mail_queued = True
    return email


def _render(subject, template: str, locale: str | None, context: dict) -> tuple[str, str]:
    language = locale if locale in LANGUAGES else current_language()
    with force_locale(language):
        return str(subject), render_template(f"emails/{template}.txt", **context)


def looks_like_email(text: str | None) -> bool:
    text = (text or "").strip()
    return "@" in text and " " not in text and "." in text.rsplit("@", 1)[-1]


def send_queued(limit: int = 200) -> tuple[int, int]:
    """Send what waits in the outbox; return (sent, failed). Commits its own bookkeeping."""
    waiting = list(db.session.scalars(
        select(OutgoingEmail)
        .where(OutgoingEmail.sent_at.is_(None), OutgoingEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutgoingEmail.id).limit(limit)
    ))
    if not waiting:
        return 0, 0
    config = current_app.config
    sent = failed = 0
    try:
        connection = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        for email in waiting:
            email.attempts += 1
            email.last_error = f"{type(error).__name__}: {error}"[:500]
        db.session.commit()
        current_app.logger.warning("Mail server unreachable: %s", error)
        return 0, len(waiting)
    with connection:
        for email in waiting:
            email.attempts += 1
            try:
                connection.send_message(_message(email, config["MAIL_DEFAULT_SENDER"]))
            except (OSError, smtplib.SMTPException) as error:
                email.last_error = f"{type(error).__name__}: {error}"[:500]
                failed += 1
            else:
                email.sent_at = utcnow()
                email.last_error = ""
                if email.kind.startswith(FORGET_AFTER_SENDING):
                    email.to, email.body = "", ""
                sent += 1
    db.session.commit()
    return sent, failed


def send_if_queued() -> None:
    """After a commit: send now if this request queued any email."""
    if has_request_context() and g.pop("pb_mail_queued", False):
        send_queued()


def _connect(config) -> smtplib.SMTP:
    connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10)
    if config.get("MAIL_USE_TLS"):
        connection.starttls()
    if config.get("MAIL_USERNAME"):
        connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return connection


def _message(email: OutgoingEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body)
    return message
