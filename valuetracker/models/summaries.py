"""Generated PDF value summaries and their sendings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import timestamp_field

SUMMARY_VARIANTS = ("stakeholder", "internal")
# A sending left `pending` by a worker that stopped after claiming it (the mail may or
# may not have left): never sent again automatically; a person marks it delivered or
# resends it (summaries/send.py).
DELIVERY_UNKNOWN = "delivery_unknown"
DISTRIBUTION_STATUSES = ("pending", "sent", "skipped", "failed", DELIVERY_UNKNOWN)


class ValueSummary(SQLModel, table=True):
    __tablename__ = "value_summary"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "stakeholder_id", "quarter", "variant"),
        sa.Index("ix_value_summary_quarter_account", "quarter", "account_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    stakeholder_id: int | None = Field(default=None, foreign_key="stakeholder.id", index=True)
    quarter: str = Field(max_length=7)  # 2026-Q3
    variant: str = Field(default="stakeholder", max_length=20)
    file_path: str = Field(max_length=500)
    sha256: str = Field(max_length=64)
    generated_at: datetime = timestamp_field(nullable=False, default_now=True)
    generated_by_id: int | None = Field(default=None, foreign_key="user.id")
    job_id: int | None = Field(default=None, foreign_key="job.id")


class Distribution(SQLModel, table=True):
    """One sending of a summary; unique per summary and channel so a retry never resends."""

    __table_args__ = (sa.UniqueConstraint("summary_id", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    summary_id: int = Field(foreign_key="value_summary.id", index=True, ondelete="CASCADE")
    channel: str = Field(default="email", max_length=20)
    recipient: str | None = Field(default=None, max_length=255)
    status: str = Field(default="pending", max_length=20)
    sent_at: datetime | None = timestamp_field()
    message_id: str | None = Field(default=None, max_length=255)
    error: str | None = Field(default=None, sa_type=sa.Text)
    # When the current sending was claimed (set again when a failed one is retried).
    created_at: datetime = timestamp_field(nullable=False, default_now=True)


__all__ = ["SUMMARY_VARIANTS", "DISTRIBUTION_STATUSES", "DELIVERY_UNKNOWN", "ValueSummary",
           "Distribution"]
