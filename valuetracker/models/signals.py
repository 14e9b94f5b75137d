"""Signals (named, explained facts about an account or a person) and weekly health."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import timestamp_field

SEVERITIES = ("high", "medium", "low")
# Health bands, best first (the score cut-offs are in valuetracker/signals/health.py).
HEALTH_BANDS = ("healthy", "watch", "at risk")


class Signal(SQLModel, table=True):
    """One occurrence of a signal at an account: it opens when the fact becomes true and
    is cleared (`cleared_at` set, kept as history) when it no longer is. A recurrence is
    a new row.

    `key` names the occurrence's subject within its kind ("stakeholder:42", "entry:7",
    "account"); at most one *open* signal per (account, kind, key).
    `subject_type`/`subject_id` name the object that caused it (a value entry, a
    commitment, a deal, a link…), for the link to it; `stakeholder_id` the person it
    concerns, if any.
    """

    __table_args__ = (
        sa.Index(
            "uq_signal_open", "account_id", "kind", "key", unique=True,
            sqlite_where=sa.text("cleared_at IS NULL"),
            postgresql_where=sa.text("cleared_at IS NULL"),
        ),
        sa.Index("ix_signal_account_cleared", "account_id", "cleared_at"),
        sa.Index("ix_signal_opened_at", "opened_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    kind: str = Field(max_length=40)  # a kind in valuetracker.signals registry
    severity: str = Field(max_length=10)  # SEVERITIES
    key: str = Field(max_length=80)
    stakeholder_id: int | None = Field(
        default=None, foreign_key="stakeholder.id", index=True, ondelete="SET NULL"
    )
    subject_type: str | None = Field(default=None, max_length=40)
    subject_id: int | None = None
    message: str = Field(sa_type=sa.Text)
    since: date
    opened_at: datetime = timestamp_field(nullable=False, default_now=True)
    cleared_at: datetime | None = timestamp_field()
    details: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class HealthSnapshot(SQLModel, table=True):
    """An account's health score for one week (`week` is that week's Monday); the
    latest refresh of the week overwrites it."""

    __tablename__ = "health_snapshot"
    __table_args__ = (sa.UniqueConstraint("account_id", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    week: date
    score: int
    band: str = Field(max_length=10)  # HEALTH_BANDS
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)


__all__ = ["HEALTH_BANDS", "SEVERITIES", "HealthSnapshot", "Signal"]
