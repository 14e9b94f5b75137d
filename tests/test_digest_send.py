"""Digests: what they say, sent once per user and period (a re-run, a second process),
nothing to say = no mail, preferences and frequency respected, the schedule, the CLI."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker.models import (
    AccessLink,
    DigestSend,
    NotificationPreference,
    Signal,
    Task,
    User,
)
from valuetracker.notifications.digest import period_key, send_digests, send_due_digests

from .conftest import VENV_BIN, Inbox, worker_env

NOW = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)  # a Wednesday morning
TODAY = NOW.date()


def _news(session: Session, cast: Any) -> None:
    """On am1's account: a signal opened and one cleared in the last day, a task of
    am1's due tomorrow, a renewal in 20 days and a pulse answered last night; on am2's
    account, a renewal am1 must not hear of."""
    yesterday = NOW - timedelta(hours=10)
    session.add_all([
        Signal(account_id=cast.account1.id, kind="champion_left", severity="high",
               key="stakeholder:1", message="Nina Costa (champion) left the company",
               since=TODAY, opened_at=yesterday),
        Signal(account_id=cast.account1.id, kind="value_disputed", severity="medium",
               key="entry:1", message="“Faster close” is disputed", since=date(2026, 11, 1),
               opened_at=NOW - timedelta(days=20), cleared_at=yesterday),
        Signal(account_id=cast.account1.id, kind="no_value", severity="low", key="account",
               message="An old signal", since=date(2026, 10, 1),
               opened_at=NOW - timedelta(days=30)),
        Task(account_id=cast.account1.id, title="Map the successor of Nina Costa",
             assignee_id=cast.am1.id, due_on=TODAY + timedelta(days=1)),
        Task(account_id=cast.account1.id, title="Someone else's", assignee_id=cast.am2.id,
             due_on=TODAY),
        AccessLink(nonce="n1", purpose="pulse", stakeholder_id=cast.stakeholder1.id,
                   account_id=cast.account1.id, expires_at=NOW + timedelta(days=10),
                   used_at=yesterday),
    ])
    cast.account1.renewal_date = TODAY + timedelta(days=20)
    cast.account2.renewal_date = TODAY + timedelta(days=5)
    session.add_all([cast.account1, cast.account2])
    session.commit()


def _only_am1(session: Session, cast: Any) -> None:
    for user in cast.everyone:
        if user.id != cast.am1.id:
            user.digest_frequency = "off"
            session.add(user)
    session.commit()


def test_a_daily_digest_says_what_happened_and_is_sent_once(
        smtp: Inbox, app: Flask, session: Session, cast: Any) -> None:
    _news(session, cast)
    with app.app_context():
        run = send_digests(session, "daily", now=NOW)
        again = send_digests(session, "daily", now=NOW + timedelta(hours=3))
    # am2 has a renewal in 5 days and a task due: their own digest; nobody else has news.
    assert (run.key, run.sent, run.empty) == ("2026-12-02", 2, 3)
    assert again.sent == 0
    assert sorted(rcpt[0] for rcpt, _msg in smtp.messages) == [
        "am1@example.com", "am2@example.com"]
    am2_body = next(m for rcpt, m in smtp.messages if rcpt == ["am2@example.com"]).get_content()
    assert "Globex renews" in am2_body and "Acme Corp renews" not in am2_body
    msg = next(m for rcpt, m in smtp.messages if rcpt == ["am1@example.com"])
    body = msg.get_content()
    assert msg["Subject"].startswith("Your daily digest, 2026-12-02: 1 new signals")
    for text in ("Acme Corp: Nina Costa (champion) left the company (high)",
                 "Acme Corp: “Faster close” is disputed",
                 "Map the successor of Nina Costa (Acme Corp), due 2026-12-03",
                 f"Acme Corp renews on {(TODAY + timedelta(days=20)).isoformat()}",
                 "Acme Corp: Carol Buyer answered a loyalty pulse",
                 f"http://127.0.0.1:5000/accounts/{cast.account1.slug}"):
        assert text in body, text
    # A cleared signal is named without its severity (it no longer weighs).
    for absent in ("An old signal", "Someone else's", "Globex", "is disputed (medium)"):
        assert absent not in body, absent
    unsubscribe = msg["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:5000/notifications/unsubscribe/")
    assert unsubscribe.endswith("/one-click>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-len("/one-click>")] in body  # the page with the button
    session.expire_all()
    row = session.exec(select(DigestSend).where(DigestSend.user_id == cast.am1.id)).one()
    assert (row.status, row.period_key, row.counts) == ("sent", "2026-12-02", {
        "new_signals": 1, "cleared_signals": 1, "tasks_due": 1, "renewals": 1,
        "answers": 1})


def test_nothing_to_say_sends_no_mail_and_the_next_digest_starts_where_this_ended(
        smtp: Inbox, app: Flask, session: Session, cast: Any) -> None:
    _only_am1(session, cast)
    with app.app_context():
        run = send_digests(session, "daily", now=NOW)
        assert (run.sent, run.empty) == (0, 1)
        session.add(AccessLink(nonce="n2", purpose="confirm_value",
                               stakeholder_id=cast.stakeholder1.id,
                               account_id=cast.account1.id,
                               expires_at=NOW + timedelta(days=9),
                               used_at=NOW + timedelta(hours=5)))
        session.commit()
        tomorrow = send_digests(session, "daily", now=NOW + timedelta(days=1))
    assert tomorrow.sent == 1 and len(smtp.messages) == 1
    assert "Carol Buyer confirmed or corrected value" in smtp.messages[0][1].get_content()
    session.expire_all()
    rows = session.exec(select(DigestSend).order_by(DigestSend.id)).all()
    assert [r.status for r in rows] == ["empty", "sent"]
    assert rows[1].window_start == rows[0].window_end


def test_frequency_and_digest_preferences_are_respected(
        smtp: Inbox, app: Flask, session: Session, cast: Any) -> None:
    _news(session, cast)
    _only_am1(session, cast)
    session.add_all([
        NotificationPreference(user_id=cast.am1.id, event="signal.opened", channel="digest",
                               enabled=False),
        NotificationPreference(user_id=cast.am1.id, event="pulse.answered", channel="digest",
                               enabled=False)])
    session.commit()
    with app.app_context():
        assert send_digests(session, "weekly", now=NOW).sent == 0  # am1 chose daily
        assert send_digests(session, "daily", now=NOW).sent == 1
    body = smtp.messages[0][1].get_content()
    assert "Nina Costa (champion) left" not in body and "loyalty pulse" not in body
    assert "“Faster close” is disputed" in body and "Map the successor" in body
    cast.am1.digest_frequency = "weekly"
    session.add(cast.am1)
    session.commit()
    with app.app_context():
        weekly = send_digests(session, "weekly", now=NOW)
    assert (weekly.key, weekly.sent) == ("2026-W49", 1)
    assert len(smtp.messages) == 2


def test_the_schedule_waits_for_the_digest_hour_and_weekday(
        smtp: Inbox, app: Flask, session: Session, cast: Any) -> None:
    _news(session, cast)
    _only_am1(session, cast)
    with app.app_context():
        # Before the hour: only the weekly digest is due (its Monday has passed).
        early = send_due_digests(session, now=NOW.replace(hour=6))
        assert [(r.period, r.sent) for r in early] == [("weekly", 0)]
        monday_early = send_due_digests(session, now=datetime(2026, 11, 30, 6, tzinfo=UTC))
        assert monday_early == []
        runs = send_due_digests(session, now=NOW)
        assert [(r.period, r.sent) for r in runs] == [("daily", 1), ("weekly", 0)]
        assert [r.sent for r in send_due_digests(session, now=NOW.replace(hour=9))] == [0, 0]
    assert len(smtp.messages) == 1
    assert period_key("weekly", datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"


def test_a_refused_digest_is_tried_again_and_then_sent_once(
        smtp: Inbox, app: Flask, session: Session, cast: Any, app_config: dict[str, Any]
) -> None:
    _news(session, cast)
    _only_am1(session, cast)
    with app.app_context():
        app.config["MAIL_PORT"] = 1
        assert send_digests(session, "daily", now=NOW).failed == 1
        app.config["MAIL_PORT"] = app_config["MAIL_PORT"]
        assert send_digests(session, "daily", now=NOW).sent == 1
        assert send_digests(session, "daily", now=NOW).sent == 0
    assert len(smtp.messages) == 1


def test_two_processes_at_once_send_one_digest(smtp: Inbox, app: Flask, session: Session,
                                               cast: Any, app_config: dict[str, Any]) -> None:
    _news(session, cast)
    _only_am1(session, cast)
    env = worker_env(app_config)
    command = [str(VENV_BIN / "valuetracker"), "digest", "send", "--period", "daily"]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sorted(o.split(" (")[0] for o in outputs) == ["Sent 0 digests", "Sent 1 digest"]
    assert len(smtp.messages) == 1


def test_cli_dry_run_prints_who_would_get_what_and_sends_nothing(
        smtp: Inbox, app: Flask, session: Session, cast: Any, runner: Any) -> None:
    _news(session, cast)
    _only_am1(session, cast)
    result = runner.invoke(args=["digest", "send", "--period", "daily", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "am1@example.com: " in result.output and "1 renewals" in result.output
    assert "Would send 1 digest" in result.output and "Nothing was sent." in result.output
    assert smtp.messages == []
    assert session.exec(select(DigestSend)).all() == []
    result = runner.invoke(args=["digest", "send", "--period", "daily"])
    assert result.exit_code == 0 and "Sent 1 digest" in result.output
    assert len(smtp.messages) == 1
    bad = runner.invoke(args=["digest", "send", "--period", "monthly"])
    assert bad.exit_code != 0 and "monthly" in bad.output


def test_no_digest_for_inactive_users_or_digest_off(smtp: Inbox, app: Flask,
                                                     session: Session, cast: Any) -> None:
    _news(session, cast)
    cast.am1.active = False
    cast.am2.digest_frequency = "off"
    session.add_all([cast.am1, cast.am2])
    session.commit()
    with app.app_context():
        run = send_digests(session, "daily", now=NOW)
    assert run.sent == 0 and smtp.messages == []
    assert session.get(User, cast.am1.id) is not None
