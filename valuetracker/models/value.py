"""Value delivered, the customer's confirmations, commitments and loyalty pulses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import money_field, timestamp_field

DRIVERS = (
    "revenue_growth",
    "cost_reduction",
    "risk_reduction",
    "productivity",
    "customer_experience",
    "strategic",
)
UNITS = ("currency", "hours", "percent", "count")
EVIDENCE_STATUSES = ("claimed", "confirmed", "disputed")
CONFIRMATION_RESPONSES = ("confirmed", "disputed", "adjusted")
COMMITMENT_STATUSES = ("planned", "in_progress", "delivered", "missed", "dropped")
# Still to deliver (overdue once past the due date).
OPEN_COMMITMENT_STATUSES = ("planned", "in_progress")
REPURCHASE_INTENTS = ("definitely", "probably", "not_sure", "probably_not", "definitely_not")


class ValueCommitment(SQLModel, table=True):
    """Value we promised to deliver next."""

    __tablename__ = "value_commitment"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=sa.Text)
    driver: str = Field(max_length=32)
    expected_amount: Decimal | None = money_field()
    unit: str = Field(default="currency", max_length=16)
    due_on: date = Field(index=True)
    status: str = Field(default="planned", max_length=20, index=True)
    delivered_on: date | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)


class ValueEntry(SQLModel, table=True):
    __tablename__ = "value_entry"
    __table_args__ = (
        sa.Index("ix_value_entry_account_delivered", "account_id", "delivered_on"),
        # Disputed entries per account (accounts at risk) without reading every entry.
        sa.Index("ix_value_entry_account_evidence", "account_id", "evidence_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=sa.Text)
    driver: str = Field(max_length=32, index=True)
    amount: Decimal = money_field(nullable=False)
    unit: str = Field(default="currency", max_length=16)
    delivered_on: date = Field(index=True)
    evidence_status: str = Field(default="claimed", max_length=20)
    source: str | None = Field(default=None, max_length=200)
    commitment_id: int | None = Field(
        default=None, foreign_key="value_commitment.id", index=True
    )
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)


class ValueEntryBeneficiary(SQLModel, table=True):
    __tablename__ = "value_entry_beneficiary"
    entry_id: int = Field(foreign_key="value_entry.id", primary_key=True, ondelete="CASCADE")
    stakeholder_id: int = Field(
        foreign_key="stakeholder.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class ValueConfirmation(SQLModel, table=True):
    """A stakeholder's answer about one value entry."""

    __tablename__ = "value_confirmation"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="value_entry.id", index=True, ondelete="CASCADE")
    stakeholder_id: int | None = Field(default=None, foreign_key="stakeholder.id", index=True)
    response: str = Field(max_length=20)  # confirmed, disputed, adjusted
    adjusted_amount: Decimal | None = money_field()
    comment: str | None = Field(default=None, sa_type=sa.Text)
    method: str = Field(default="link", max_length=20)  # link, recorded
    link_id: int | None = Field(default=None, foreign_key="access_link.id")
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    responded_at: datetime = timestamp_field(nullable=False, default_now=True)


class LoyaltyPulse(SQLModel, table=True):
    """One loyalty reading of a stakeholder. History is kept, never overwritten."""

    __tablename__ = "loyalty_pulse"
    __table_args__ = (
        sa.Index("ix_loyalty_pulse_stakeholder_taken", "stakeholder_id", "taken_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    stakeholder_id: int = Field(foreign_key="stakeholder.id")
    account_id: int = Field(foreign_key="account.id", index=True)
    taken_on: date = Field(index=True)
    satisfaction: int  # 1-5
    repurchase_intent: str = Field(max_length=20)
    recommend: int  # 0-10
    positive_emotion: bool = False
    emotion_text: str | None = Field(default=None, sa_type=sa.Text)
    driver_ranking: list[str] | None = Field(default=None, sa_type=sa.JSON)
    comment: str | None = Field(default=None, sa_type=sa.Text)
    method: str = Field(default="link", max_length=20)  # link, recorded
    link_id: int | None = Field(default=None, foreign_key="access_link.id")
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp_field(nullable=False, default_now=True)


class AccessLink(SQLModel, table=True):
    """A signed, expiring, single-use link sent to a stakeholder (or buyer).

    The token carries only this row's id and nonce; the row records purpose, expiry,
    use and revocation so single use and revocation can be enforced.
    """

    __tablename__ = "access_link"
    id: int | None = Field(default=None, primary_key=True)
    nonce: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    purpose: str = Field(max_length=30)  # confirm_value, pulse, buyer_survey
    stakeholder_id: int | None = Field(default=None, foreign_key="stakeholder.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    interview_id: int | None = Field(default=None, foreign_key="winloss_interview.id")
    payload: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    expires_at: datetime = timestamp_field(nullable=False)
    used_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()


__all__ = [
    "DRIVERS",
    "UNITS",
    "EVIDENCE_STATUSES",
    "CONFIRMATION_RESPONSES",
    "COMMITMENT_STATUSES",
    "OPEN_COMMITMENT_STATUSES",
    "REPURCHASE_INTENTS",
    "ValueCommitment",
    "ValueEntry",
    "ValueEntryBeneficiary",
    "ValueConfirmation",
    "LoyaltyPulse",
    "AccessLink",
]
