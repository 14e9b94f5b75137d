"""Demo tasks: the plays' tasks from the demo's signals (a refresh of the signals runs
them, as the worker's would), and a few tasks the team added by hand, one of them
overdue and one done with a comment, so My work has something to say."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import Account, Signal, Task, TaskComment, utcnow

# (account index in made["accounts"], title, days until due (negative: overdue), done?)
PERSON_TASKS = (
    (0, "Prepare the quarterly business review deck", 5, False),
    (0, "Send the savings report to finance", -3, False),
    (1, "Book the roadmap session with their IT team", 12, False),
    (2, "Share the case study they asked for", 2, True),
)


def seed(session: Session, made: dict[str, Any]) -> None:
    """Refresh the signals (the plays make their tasks) unless the signals' own demo
    already did, then add the hand-made tasks."""
    from ..signals import refresh_signals

    today = made.get("today")
    if session.exec(select(sa.func.count()).select_from(Signal)).one() == 0:
        refresh_signals(session, today=today)
    accounts: list[Account] = made.get("accounts") or []
    users = made.get("users") or {}
    author = users.get("am1")
    added = []
    for index, title, days, done in PERSON_TASKS:
        if index >= len(accounts):
            continue
        account = accounts[index]
        task = Task(account_id=account.id, title=title, assignee_id=account.owner_id,
                    due_on=(today or utcnow().date()) + timedelta(days=days), source="person",
                    created_by_id=account.owner_id or (author.id if author else None),
                    status="done" if done else "open", done_at=utcnow() if done else None)
        session.add(task)
        added.append(task)
    session.flush()
    for task in added:
        if task.status == "done":
            session.add(TaskComment(task_id=task.id, author_id=task.assignee_id,
                                    text="Sent it with the summary; they loved it."))
    made["tasks"] = list(session.exec(select(Task).order_by(Task.id)).all())
