"""Tasks and signals (the caller commits)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from valuetracker.models import Account, Signal, Stakeholder, Task, User


def make_task(session: Session, account: Account, title: str = "Call about the renewal", *,
              stakeholder: Stakeholder | None = None, assignee: User | None = None,
              due_on: date | None = date(2026, 12, 20), **kw: Any) -> Task:
    """An open task on `account`, added by a person, written directly (no audit event)."""
    task = Task(account_id=account.id, title=title,
                stakeholder_id=stakeholder.id if stakeholder else None,
                assignee_id=assignee.id if assignee else None, due_on=due_on, **kw)
    session.add(task)
    session.flush()
    return task


def make_signal(session: Session, account: Account, kind: str = "key_stakeholder_left", *,
                stakeholder: Stakeholder | None = None, severity: str = "high",
                since: date = date(2026, 11, 30), key: str | None = None,
                message: str = "Something happened", opened_at: datetime | None = None,
                **kw: Any) -> Signal:
    """An open signal on `account`, written directly."""
    signal = Signal(account_id=account.id, kind=kind, severity=severity,
                    key=key or (f"stakeholder:{stakeholder.id}" if stakeholder else "account"),
                    stakeholder_id=stakeholder.id if stakeholder else None, message=message,
                    since=since, opened_at=opened_at or datetime.now(UTC), **kw)
    session.add(signal)
    session.flush()
    return signal
