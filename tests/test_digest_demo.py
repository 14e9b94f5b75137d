"""The demo: its account managers find unread notifications on their first sign-in,
and one of them gets a digest mail the next morning (through the real SMTP server)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker.models import Notification, User
from valuetracker.notifications.digest import send_due_digests

from .conftest import Inbox


def test_demo_leaves_notifications_and_a_digest_next_morning(
        smtp: Inbox, app: Flask, runner: Any, session: Session, login_as: Any) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    maria = session.exec(select(User).where(User.email == "maria@demo.example")).one()
    mine = session.exec(select(Notification).where(Notification.user_id == maria.id)).all()
    # Unread, and no e-mail of old news pending (in-app-only ones have none to send).
    assert mine and all(n.read_at is None for n in mine)
    assert all(n.emailed_at is not None for n in mine if n.email)
    assert {n.event for n in mine} >= {"value.disputed", "pulse.answered"}
    page = login_as(maria).get("/notifications").get_data(as_text=True)
    newest = max(mine, key=lambda n: n.id)  # the list shows the newest first
    assert f'id="unread-count">{len(mine)}<' in page
    assert newest.text.split(" ")[0] in page

    tomorrow = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(7, 5),
                                tzinfo=UTC)
    with app.app_context():
        runs = send_due_digests(session, now=tomorrow)
    assert sum(r.sent for r in runs) >= 1
    to_maria = [m for rcpt, m in smtp.messages if rcpt == ["maria@demo.example"]]
    assert len(to_maria) == 1
    assert "Renewals in the next 30 days" in to_maria[0].get_content()
