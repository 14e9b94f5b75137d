"""Value delivered, the customer's confirmations, commitments and loyalty pulses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import link_key, money_field, timestamp_field

DRIVERS = (
    "revenue_growth",
    "cost_reduction",
    "risk_reduction",
    "productivity",
    "customer_experience",
    "strategic",
)
UNITS = ("currency", "hours", "percent", "count")
# The statuses the team sets (forms, imports). A fourth, DESCRIBED, is only ever set by the
# customer: value they told us about that we had not listed, in their words and without an
# amount, until the account team reviews it (`value.review_described_entry`).
EVIDENCE_STATUSES = ("claimed", "confirmed", "disputed")
DESCRIBED = "described"
CONFIRMATION_RESPONSES = ("confirmed", "disputed", "adjusted")
COMMITMENT_STATUSES = ("planned", "in_progress", "delivered", "missed", "dropped")
# Still to deliver (overdue once past the due date).
OPEN_COMMITMENT_STATUSES = ("planned", "in_progress")
REPURCHASE_INTENTS = ("definitely", "probably", "not_sure", "probably_not", "definitely_not")

# Loyalty (docs/definitions.md). "Would you recommend us" is answered 0-10: promoters
# answer 9-10, detractors 0-6, the rest (7-8) are passives. Satisfied but not loyal =
# satisfaction (1-5) of at least SATISFIED_MIN and a repurchase intent other than
# LOYAL_INTENT.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
SATISFIED_MIN = 4
LOYAL_INTENT = "definitely"


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
    version: int = Field(default=1)  # optimistic locking (db.check_version)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)

    # The commitment rules (docs/definitions.md), each in Python beside its SQL.

    @property
    def is_open(self) -> bool:
        """Still to deliver: planned or in progress."""
        return self.status in OPEN_COMMITMENT_STATUSES

    @classmethod
    def open_condition(cls) -> Any:
        """SQL: `is_open`."""
        return cls.status.in_(OPEN_COMMITMENT_STATUSES)

    def is_overdue(self, today: date) -> bool:
        """Still open after its due date."""
        return self.is_open and self.due_on < today

    @classmethod
    def overdue_condition(cls, today: date) -> Any:
        """SQL: `is_overdue(today)`."""
        return sa.and_(cls.open_condition(), cls.due_on < today)

    @property
    def delivered_on_time(self) -> bool:
        """Delivered, on or before its due date (the on-time rate's numerator)."""
        return (self.status == "delivered" and self.delivered_on is not None
                and self.delivered_on <= self.due_on)

    @classmethod
    def on_time_condition(cls) -> Any:
        """SQL: `delivered_on_time`."""
        return sa.and_(cls.status == "delivered", cls.delivered_on.is_not(None),
                       cls.delivered_on <= cls.due_on)

    @classmethod
    def due_condition(cls, today: date) -> Any:
        """SQL: counts as due for the on-time rate: due by today and not `dropped`
        (withdrawn by agreement with the customer). A commitment due later does not count
        yet, even if it was already delivered."""
        return sa.and_(cls.due_on <= today, cls.status != "dropped")


class ValueEntry(SQLModel, table=True):
    """Value delivered. A `described` entry (the customer's words, not yet reviewed) has
    no driver and no amount, and counts in no figure until it is reviewed."""

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
    # None only while `described`: the customer named no driver and no figure.
    driver: str | None = Field(default=None, max_length=32, index=True)
    amount: Decimal | None = money_field()
    unit: str = Field(default="currency", max_length=16)
    delivered_on: date = Field(index=True)
    evidence_status: str = Field(default="claimed", max_length=20)
    source: str | None = Field(default=None, max_length=200)
    commitment_id: int | None = Field(
        default=None, foreign_key="value_commitment.id", index=True
    )
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=1)  # optimistic locking (db.check_version)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)

    # Which entries count (docs/definitions.md), in Python beside its SQL.

    @property
    def is_described(self) -> bool:
        """Value the customer told us about, waiting for the team's review."""
        return self.evidence_status == DESCRIBED

    @classmethod
    def counted_condition(cls) -> Any:
        """SQL: the entry counts in figures, lists, exports and links: every entry but a
        `described` one still waiting for review."""
        return cls.evidence_status != DESCRIBED


class ValueEntryBeneficiary(SQLModel, table=True):
    __tablename__ = "value_entry_beneficiary"
    entry_id: int = link_key("value_entry.id")
    stakeholder_id: int = link_key("stakeholder.id", index=True)


class ValueConfirmation(SQLModel, table=True):
    """A stakeholder's answer about one value entry."""

    __tablename__ = "value_confirmation"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="value_entry.id", index=True, ondelete="CASCADE")
    stakeholder_id: int | None = Field(default=None, foreign_key="stakeholder.id", index=True)
    # confirmed, disputed, adjusted; or `described` on the entry a customer described
    # (their words are the comment).
    response: str = Field(max_length=20)
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


def nps_group(recommend: int) -> str:
    """"promoter" (9-10), "detractor" (0-6) or "passive" (7-8)."""
    if recommend >= PROMOTER_MIN:
        return "promoter"
    if recommend <= DETRACTOR_MAX:
        return "detractor"
    return "passive"


def promoter_condition(recommend: Any) -> Any:
    """SQL: a promoter's answer, on a `recommend` column (the table's or a subquery's)."""
    return recommend >= PROMOTER_MIN


def detractor_condition(recommend: Any) -> Any:
    """SQL: a detractor's answer, on a `recommend` column."""
    return recommend <= DETRACTOR_MAX


def is_satisfied_not_loyal(satisfaction: int, repurchase_intent: str) -> bool:
    """Satisfied but not loyal: satisfaction 4-5 and repurchase intent not `definitely`."""
    return satisfaction >= SATISFIED_MIN and repurchase_intent != LOYAL_INTENT


def satisfied_not_loyal_condition(satisfaction: Any, intent: Any) -> Any:
    """SQL: `is_satisfied_not_loyal`, on satisfaction and repurchase intent columns."""
    return sa.and_(satisfaction >= SATISFIED_MIN, intent != LOYAL_INTENT)


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
    # When the one reminder of an unanswered link went out (`reminders.py` claims it).
    reminded_at: datetime | None = timestamp_field()


__all__ = [
    "DRIVERS",
    "UNITS",
    "EVIDENCE_STATUSES",
    "DESCRIBED",
    "CONFIRMATION_RESPONSES",
    "COMMITMENT_STATUSES",
    "OPEN_COMMITMENT_STATUSES",
    "REPURCHASE_INTENTS",
    "PROMOTER_MIN",
    "DETRACTOR_MAX",
    "SATISFIED_MIN",
    "LOYAL_INTENT",
    "nps_group",
    "promoter_condition",
    "detractor_condition",
    "is_satisfied_not_loyal",
    "satisfied_not_loyal_condition",
    "ValueCommitment",
    "ValueEntry",
    "ValueEntryBeneficiary",
    "ValueConfirmation",
    "LoyaltyPulse",
    "AccessLink",
]
