"""Logged activities (the caller commits)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from valuetracker.models import Account, Activity, ActivityStakeholder, Stakeholder, User


def make_activity(session: Session, account: Account, *, kind: str = "call",
                  occurred_on: date = date(2026, 10, 5), summary: str = "Renewal call",
                  people: tuple[Stakeholder, ...] = (), author: User | None = None,
                  **kw: Any) -> Activity:
    """An activity on `account` with `people`, written directly: it leaves their last
    contacted alone (the write functions keep it; their tests check it)."""
    activity = Activity(account_id=account.id, kind=kind, occurred_on=occurred_on,
                        summary=summary, user_id=author.id if author else None, **kw)
    session.add(activity)
    session.flush()
    for person in people:
        session.add(ActivityStakeholder(activity_id=activity.id, stakeholder_id=person.id))
    session.flush()
    return activity
