"""When signals are refreshed: after a write commits (only the written accounts), by the
worker's periodic task, and by `valuetracker signals refresh`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from valuetracker.jobs import get_huey
from valuetracker.models import HealthSnapshot, Signal
from valuetracker.signals.jobs import schedule

from .factories import make_account, make_commitment


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["SIGNALS_REFRESH_AFTER_WRITES"] = True
    return app_config


def open_kinds(session: Any, account: Any) -> set[str]:
    session.expire_all()
    return set(session.exec(select(Signal.kind).where(Signal.account_id == account.id,
                                                      Signal.cleared_at.is_(None))).all())


def test_a_write_refreshes_the_written_account_only(app: Any, session: Any) -> None:
    with app.app_context():
        other = make_account(session, "Other Co")
        session.commit()
        assert "no_recent_value" in open_kinds(session, other)
        # Signals of another account are left as they are by a write elsewhere.
        for row in session.exec(select(Signal).where(Signal.account_id == other.id)).all():
            session.delete(row)
        session.commit()
        mine = make_account(session, "Mine Co")
        session.commit()
        make_commitment(session, mine, due_on=date.today() - timedelta(days=2),
                        title="Roll out SSO")
        session.commit()
    assert "commitment_overdue" in open_kinds(session, mine)
    assert open_kinds(session, other) == set()
    assert session.exec(select(HealthSnapshot).where(HealthSnapshot.account_id == mine.id)
                        ).first() is not None


def test_the_periodic_task_refreshes_every_account(app: Any, session: Any) -> None:
    app.config["SIGNALS_REFRESH_AFTER_WRITES"] = False
    with app.app_context():
        account = make_account(session, "Quiet Co")
        session.commit()
        assert open_kinds(session, account) == set()
        get_huey(app).refresh_signals()
    assert "no_recent_value" in open_kinds(session, account)


def test_the_cli_refreshes_and_says_what_changed(app: Any, session: Any, runner: Any) -> None:
    app.config["SIGNALS_REFRESH_AFTER_WRITES"] = False
    with app.app_context():
        make_account(session, "Quiet Co")
        session.commit()
    result = runner.invoke(args=["signals", "refresh"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Opened 3 signals, cleared 0")  # no value, no buyer, single
    again = runner.invoke(args=["signals", "refresh"])
    assert again.output.startswith("Opened 0 signals, cleared 0, 3 still open")


def test_schedule_of_the_interval_setting() -> None:
    moment = datetime(2026, 12, 2, 10, 30)
    assert schedule(30)(moment) and not schedule(30)(moment.replace(minute=31))
    assert schedule(60)(moment.replace(minute=0)) and not schedule(60)(moment)
    assert not schedule(0)(moment)


def test_sending_a_summary_refreshes_its_account(app: Any, session: Any) -> None:
    from valuetracker.models import Distribution

    from .factories import make_stakeholder, make_summary

    with app.app_context():
        account = make_account(session, "Renewing Co",
                               renewal_date=date.today() + timedelta(days=20))
        person = make_stakeholder(session, account, "Kim Key", is_key=True)
        session.commit()
        assert "renewal_at_risk" in open_kinds(session, account)
        summary = make_summary(session, person, quarter=_this_quarter(), status=None)
        session.commit()
        assert "renewal_at_risk" in open_kinds(session, account)  # generated, not sent
        session.add(Distribution(summary_id=summary.id, channel="email", status="sent",
                                 recipient=person.email, sent_at=datetime.now().astimezone()))
        session.commit()
    assert "renewal_at_risk" not in open_kinds(session, account)


def _this_quarter() -> str:
    from valuetracker.quarters import current_quarter

    return current_quarter().label
