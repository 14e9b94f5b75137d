"""Business accounts, their teams and the stakeholders who work there."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import link_key, money_field, timestamp_field

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

# Why we may not contact a stakeholder (`Stakeholder.contact_block_reason`), in the order
# they are checked. The texts are shown on pages and stored (a summary's skipped sending,
# a batch's skipped list), so they do not change.
ERASED = "erased"
LEFT_COMPANY = "left the company"
OPTED_OUT = "opted out"
OPT_OUT_LINK = "unsubscribe_link"
NO_EMAIL = "no email address"
CONTACT_BLOCKS = (ERASED, LEFT_COMPANY, OPTED_OUT, NO_EMAIL)


def contact_block(*, erased: bool, left: bool, opted_out: bool, has_email: bool,
                  by_email: bool) -> str | None:
    """May we contact this person? None if so, else the first reason why not.

    The one rule: nobody who was erased, left the company or opted
    out is contacted. `by_email` adds the one extra condition of everything we e-mail
    (links, summaries): an address. Coverage still counts someone without one, so it
    asks with `by_email=False`. `Stakeholder.contact_block_reason` asks it of a row,
    `Stakeholder.contactable_condition` is the same rule in SQL; this form takes the
    facts, for queries that select columns rather than rows.
    """
    if erased:
        return ERASED
    if left:
        return LEFT_COMPANY
    if opted_out:
        return OPTED_OUT
    if by_email and not has_email:
        return NO_EMAIL
    return None


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
    # The owner as an import named them when no user matches ("not a user"); empty
    # whenever owner_id is set. Access follows owner_id alone.
    owner_name: str | None = Field(default=None, max_length=200)
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
    account_id: int = link_key("account.id")
    user_id: int = link_key("user.id", index=True)


class Stakeholder(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_stakeholder_account_key", "account_id", "is_key"),
        # A CRM id names one person within an account (imports match within it).
        sa.Index("uq_stakeholder_account_external_id", "account_id", "external_id",
                 unique=True),
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
    # How the opt-out came: OPT_OUT_LINK (the person, through the unsubscribe link in
    # our mail), or None (recorded by the team, or imported).
    opted_out_via: str | None = Field(default=None, max_length=30)
    left_company_at: datetime | None = timestamp_field()
    # The newest contact on the person's activity timeline (activities/contact.py keeps
    # it; never typed in). `contacted_before_timeline_on` is the last contact recorded
    # before the timeline existed (copied once by migration 0012): it still counts.
    last_contacted_on: date | None = None
    contacted_before_timeline_on: date | None = None
    external_id: str | None = Field(default=None, max_length=100, index=True)
    erased_at: datetime | None = timestamp_field()
    version: int = Field(default=1)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)

    def contact_block_reason(self, *, by_email: bool) -> str | None:
        """Why we may not contact this person, or None when we may (`contact_block`)."""
        return contact_block(erased=self.erased_at is not None,
                             left=self.left_company_at is not None,
                             opted_out=self.opted_out_at is not None,
                             has_email=bool(self.email), by_email=by_email)

    @classmethod
    def contactable_condition(cls, *, by_email: bool) -> Any:
        """SQL: `contact_block(...)` is None, i.e. we may contact this person."""
        condition = sa.and_(cls.erased_at.is_(None), cls.left_company_at.is_(None),
                            cls.opted_out_at.is_(None))
        if by_email:
            condition = sa.and_(condition, cls.email.is_not(None), cls.email != "")
        return condition


__all__ = [
    "TIERS",
    "ACCOUNT_STATUSES",
    "BUYING_ROLES",
    "SENTIMENTS",
    "CHANNELS",
    "ERASED",
    "LEFT_COMPANY",
    "OPTED_OUT",
    "OPT_OUT_LINK",
    "NO_EMAIL",
    "CONTACT_BLOCKS",
    "contact_block",
    "label",
    "Account",
    "AccountMember",
    "Stakeholder",
]
