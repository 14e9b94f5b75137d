"""Immediate e-mails of notifications: sent by the worker's periodic task after the
commit, through the real SMTP server on loopback, once."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker import value as domain
from valuetracker.jobs import get_huey
from valuetracker.models import Notification
from valuetracker.notifications.mailing import send_immediate

from .conftest import Inbox
from .factories import make_entry


def _dispute(app: Flask, session: Session, cast: Any) -> None:
    entry = make_entry(session, cast.account1, "1000", title="Faster close")
    session.commit()
    with app.app_context():
        domain.apply_answer(session, entry, stakeholder_id=cast.stakeholder1.id,
                            response="disputed", comment="Not us")
        session.commit()


def test_the_worker_task_sends_each_immediate_mail_once(smtp: Inbox, app: Flask,
                                                        session: Session, cast: Any) -> None:
    _dispute(app, session, cast)
    assert smtp.messages == []  # nothing leaves with the writer's commit
    huey = get_huey(app)
    huey.mail_notifications.call_local()
    huey.mail_notifications.call_local()  # the next minute: nothing left to send
    assert len(smtp.messages) == 1
    rcpt, msg = smtp.messages[0]
    assert rcpt == ["am1@example.com"]
    assert msg["Subject"] == "Carol Buyer disputed “Faster close” at Acme Corp: “Not us”"
    assert msg["Auto-Submitted"] == "auto-generated"
    body = msg.get_content()
    assert "Hello Alice Manager" in body
    assert f"http://127.0.0.1:5000/accounts/{cast.account1.slug}/value/log" in body
    assert "http://127.0.0.1:5000/notifications/preferences" in body
    session.expire_all()
    row = session.exec(select(Notification)).one()
    assert row.emailed_at is not None and row.email_attempts == 1


def test_a_claimed_mail_is_not_sent_again_and_a_refused_one_is_retried(
        smtp: Inbox, app: Flask, session: Session, cast: Any, app_config: dict[str, Any]
) -> None:
    _dispute(app, session, cast)
    with app.app_context():
        # A mail server that refuses the connection: the claim is given back.
        app.config["MAIL_PORT"] = 1
        assert send_immediate(session).failed == 1
        session.expire_all()
        row = session.exec(select(Notification)).one()
        assert row.emailed_at is None and row.email_attempts == 1 and row.email_error
        app.config["MAIL_PORT"] = app_config["MAIL_PORT"]
        assert send_immediate(session).sent == 1
        assert send_immediate(session).sent == 0
    assert len(smtp.messages) == 1


def test_a_notification_another_worker_claimed_is_left_to_it(
        smtp: Inbox, app: Flask, session: Session, cast: Any) -> None:
    _dispute(app, session, cast)
    row = session.exec(select(Notification)).one()
    from valuetracker.models import utcnow

    row.emailed_at = utcnow()  # claimed by someone else (who may have crashed)
    session.add(row)
    session.commit()
    with app.app_context():
        assert send_immediate(session).sent == 0
    assert smtp.messages == []


def test_a_deactivated_user_gets_no_mail(smtp: Inbox, app: Flask, session: Session,
                                         cast: Any) -> None:
    _dispute(app, session, cast)
    cast.am1.active = False
    session.add(cast.am1)
    session.commit()
    with app.app_context():
        assert send_immediate(session).skipped == 1
        assert send_immediate(session).skipped == 0
    assert smtp.messages == []
