"""Business accounts, their teams and the stakeholders who work there."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import money_field, timestamp_field

TIERS = ("strategic", "key", "standard")
ACCOUNT_STATUSES = ("prospect", "active", "churned", "archived")
BUYING_ROLES = (
    "economic_buyer",
    "decision_maker",
    "champion",
    "influencer",
    "technical_evaluator",
    "user",
    "blocker",
    "other",
)
SENTIMENTS = ("advocate", "supporter", "neutral", "skeptic", "detractor")
CHANNELS = ("email", "phone", "video", "in_person", "chat")


def label(value: str | None) -> str:
    """"economic_buyer" -> "Economic buyer"."""
    return (value or "").replace("_", " ").capitalize()


class Account(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_account_status_tier", "status", "tier"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    slug: str = Field(max_length=200, sa_column_kwargs={"unique": True}, index=True)
    segment: str | None = Field(default=None, max_length=80, index=True)
    industry: str | None = Field(default=None, max_length=80)
    tier: str = Field(default="standard", max_length=20, index=True)
    status: str = Field(default="active", max_length=20, index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    annual_revenue: Decimal | None = money_field()
    cost_to_serve: Decimal | None = money_field()
    renewal_date: date | None = None
    external_id: str | None = Field(
        default=None, max_length=100, sa_column_kwargs={"unique": True}
    )
    version: int = Field(default=1)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)

    @property
    def margin(self) -> Decimal | None:
        if self.annual_revenue is None:
            return None
        return self.annual_revenue - (self.cost_to_serve or Decimal(0))


class AccountMember(SQLModel, table=True):
    """A user on an account's team (besides the owner)."""

    __tablename__ = "account_member"
    account_id: int = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True, ondelete="CASCADE")


class Stakeholder(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_stakeholder_account_key", "account_id", "is_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str = Field(max_length=200)
    title: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=255, index=True)
    phone: str | None = Field(default=None, max_length=60)
    buying_role: str = Field(default="other", max_length=32)
    influence: int = Field(default=3)  # 1-5
    sentiment: str = Field(default="neutral", max_length=20)
    is_key: bool = Field(default=False)
    reports_to_id: int | None = Field(default=None, foreign_key="stakeholder.id")
    preferences: str | None = Field(default=None, sa_type=sa.Text)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    preferred_channel: str | None = Field(default=None, max_length=20)
    opted_out_at: datetime | None = timestamp_field()
    left_company_at: datetime | None = timestamp_field()
    last_contacted_on: date | None = None
    external_id: str | None = Field(default=None, max_length=100, index=True)
    erased_at: datetime | None = timestamp_field()
    version: int = Field(default=1)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)

    @property
    def is_reachable(self) -> bool:
        """May we send this person anything (links, summaries)?"""
        return (
            self.opted_out_at is None
            and self.left_company_at is None
            and self.erased_at is None
            and bool(self.email)
        )

    @property
    def is_active(self) -> bool:
        """Still at the company and not erased."""
        return self.left_company_at is None and self.erased_at is None


__all__ = [
    "TIERS",
    "ACCOUNT_STATUSES",
    "BUYING_ROLES",
    "SENTIMENTS",
    "CHANNELS",
    "label",
    "Account",
    "AccountMember",
    "Stakeholder",
]
