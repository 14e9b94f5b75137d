"""Notes, calls, meetings and e-mails the team logs about an account and its people."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import link_key, timestamp_field

# What the team logs, with its label on pages and in the type filter.
ACTIVITY_KINDS = {"note": "Note", "call": "Call", "meeting": "Meeting", "email": "E-mail"}
# The kinds that are a contact with the people they are logged with: they move a
# person's "last contacted" (a note about someone does not).
CONTACT_KINDS = ("call", "meeting", "email")


class Activity(SQLModel, table=True):
    """One note, call, meeting or e-mail logged by a user (`user_id`, the author) on an
    account, with the account's stakeholders it was with (`ActivityStakeholder`)."""

    __table_args__ = (
        # The account's timeline, newest first.
        sa.Index("ix_activity_account_occurred", "account_id", "occurred_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    kind: str = Field(max_length=20)  # ACTIVITY_KINDS
    occurred_on: date
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    summary: str = Field(sa_type=sa.Text)
    outcome: str | None = Field(default=None, sa_type=sa.Text)
    version: int = Field(default=1)  # optimistic locking (db.check_version)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)

    @property
    def is_contact(self) -> bool:
        """A call, meeting or e-mail: a contact with the people it was with."""
        return self.kind in CONTACT_KINDS


class ActivityStakeholder(SQLModel, table=True):
    """A stakeholder an activity was with (a call may be with several people)."""

    __tablename__ = "activity_stakeholder"
    activity_id: int = link_key("activity.id")
    stakeholder_id: int = link_key("stakeholder.id", index=True)


__all__ = ["ACTIVITY_KINDS", "CONTACT_KINDS", "Activity", "ActivityStakeholder"]
