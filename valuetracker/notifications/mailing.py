"""Immediate e-mails of notifications, sent by the worker after the writer's commit.

The notifications to e-mail are the outbox: rows with `email` set and no `emailed_at`.
The worker drains it every minute (`tasks.py`): each row is claimed with a
conditional UPDATE of `emailed_at` and committed *before* its mail goes out, so two
workers never both send it, and a crash while sending leaves it claimed (the mail may
have left): a notification's mail may be missed, never doubled. A mail the server
refuses gives the claim back for the next run, up to MAX_ATTEMPTS times.

These are mails to our own users, not to stakeholders: plain text from
`templates/emails/notification.txt`, from the app itself, with a link to the object and
to the preferences.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, render_template
from sqlmodel import Session, select

from .. import mail
from ..models import Notification, User, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH = 500
FROM_NAME = "valuetracker"


@dataclass
class MailRun:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def absolute(path: str) -> str:
    """An app path as a full URL from BASE_URL (mail is read outside the app)."""
    base = str(current_app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    if urlsplit(path).scheme:
        return path
    return base + (path if path.startswith("/") else "/" + path)


def due(session: Session, *, limit: int = BATCH) -> list[Notification]:
    """Notifications waiting for their immediate e-mail, oldest first."""
    return list(session.exec(
        select(Notification).where(Notification.email, Notification.emailed_at.is_(None),
                                   Notification.email_attempts < MAX_ATTEMPTS)
        .order_by(Notification.id).limit(limit)).all())


def _claim(session: Session, notification: Notification, now: datetime) -> bool:
    result = session.execute(
        sa.update(Notification)
        .where(Notification.id == notification.id, Notification.emailed_at.is_(None))
        .values(emailed_at=now, email_attempts=Notification.email_attempts + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def message_for(notification: Notification, user: User) -> mail.Message:
    """The plain mail telling `user` of one notification."""
    body = render_template("emails/notification.txt", user=user, notification=notification,
                           url=absolute(notification.url),
                           preferences_url=absolute(_preferences_path()))
    return mail.Message(to=user.email, subject=notification.text[:150], body=body,
                        from_name=FROM_NAME, headers={"Auto-Submitted": "auto-generated"})


def _preferences_path() -> str:
    from .rules import app_path

    return app_path("notifications.preferences")


def send_immediate(session: Session, *, now: datetime | None = None) -> MailRun:
    """Send the immediate e-mails that are waiting (see the module's text). Commits each
    claim before its mail and each refusal after it."""
    run = MailRun()
    for notification in due(session):
        user = session.get(User, notification.user_id)
        if user is None or not user.active:
            notification.email = False  # a deactivated user gets no mail
            session.add(notification)
            session.commit()
            run.skipped += 1
            continue
        claimed_at = now or utcnow()
        if not _claim(session, notification, claimed_at):
            session.rollback()  # another worker has it
            continue
        session.commit()
        try:
            mail.send(message_for(notification, user))
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("notification %s: mail refused: %s", notification.id, exc)
            session.execute(
                sa.update(Notification).where(Notification.id == notification.id)
                .values(emailed_at=None, email_error=f"{type(exc).__name__}: {exc}"[:2000])
                .execution_options(synchronize_session=False))
            session.commit()
            run.failed += 1
            continue
        run.sent += 1
    return run
