"""Tasks: what someone on an account team has to do, and the comments on it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import timestamp_field

TASK_STATUSES = {"open": "Open", "done": "Done", "dismissed": "Dismissed"}
# Where a task came from: a person typed it, a play made it from a signal, or it was
# made from a signal by hand ("signal": `signal_id` set, no play).
TASK_SOURCES = {"person": "Added by a person", "play": "From a play", "signal": "From a signal"}


class Task(SQLModel, table=True):
    """One thing to do on an account (and optionally about one of its people), assigned
    to one user, due on a day. A play's task names its play and signal; a play makes
    its task once per signal occurrence (`uq_task_signal_play`)."""

    __table_args__ = (
        sa.UniqueConstraint("signal_id", "play", name="uq_task_signal_play"),
        # My work and the list: someone's open tasks by due date.
        sa.Index("ix_task_assignee_status_due", "assignee_id", "status", "due_on"),
        sa.Index("ix_task_account_status", "account_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    stakeholder_id: int | None = Field(default=None, foreign_key="stakeholder.id",
                                       ondelete="SET NULL")
    title: str = Field(max_length=200)
    assignee_id: int | None = Field(default=None, foreign_key="user.id")
    due_on: date | None = None
    status: str = Field(default="open", max_length=20)  # TASK_STATUSES
    dismissed_reason: str | None = Field(default=None, sa_type=sa.Text)
    source: str = Field(default="person", max_length=20)  # TASK_SOURCES
    signal_id: int | None = Field(default=None, index=True)
    play: str | None = Field(default=None, max_length=60)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    done_at: datetime | None = timestamp_field()
    version: int = Field(default=1)  # optimistic locking (db.check_version)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def is_overdue(self, today: date) -> bool:
        """Open and due before `today`."""
        return self.is_open and self.due_on is not None and self.due_on < today


class TaskComment(SQLModel, table=True):
    """A comment on a task by a team member."""

    __tablename__ = "task_comment"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="user.id")
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)


__all__ = ["TASK_SOURCES", "TASK_STATUSES", "Task", "TaskComment"]
