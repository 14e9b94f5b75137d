"""Deals, competitors, the reason taxonomy and win/loss interviews."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from .base import link_key, money_field, timestamp_field

OUTCOMES = ("open", "won", "lost", "no_decision")
CLOSED_OUTCOMES = ("won", "lost", "no_decision")
INTERVIEW_STATUSES = ("requested", "scheduled", "completed", "declined", "no_response")
INTERVIEW_CHANNELS = ("video", "phone", "in_person", "survey", "email")
ANONYMITY = ("named", "anonymized", "blind")
QUESTION_KINDS = ("text", "rating", "choice")
FACTOR_EFFECTS = ("win_driver", "loss_driver", "neutral")


class Competitor(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, sa_column_kwargs={"unique": True})
    aliases: str | None = Field(default=None, max_length=500)  # ";"-separated


class DecisionFactor(SQLModel, table=True):
    """The reason taxonomy (category -> factor)."""

    __tablename__ = "decision_factor"
    __table_args__ = (sa.UniqueConstraint("category", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=80)
    name: str = Field(max_length=120)
    position: int = 0
    active: bool = True
    version: int = Field(default=1)  # optimistic locking (db.check_version)


class Deal(SQLModel, table=True):
    __table_args__ = (
        # Covering index for the win/loss analytics scans (closed deals in a period,
        # grouped by segment/owner/product/reason, summing amounts): the aggregates read
        # the index alone instead of every deal row (bench: analytics page on 50 000 deals
        # -25% time). Replaces ix_deal_outcome_closed (outcome, closed_on), its prefix.
        # owner_name: by owner, a rep kept by name counts like a user (still index-only).
        sa.Index("ix_deal_closed_analytics", "outcome", "closed_on", "account_id",
                 "rep_reason_id", "amount", "owner_id", "product", "id", "owner_name"),
        # The deals list by outcome, sorted by amount (its tie-break is the id): the first
        # page is read off the index, not sorted out of every deal of the outcome.
        sa.Index("ix_deal_outcome_amount", "outcome", "amount", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    name: str = Field(max_length=200)
    external_id: str | None = Field(
        default=None, max_length=100, sa_column_kwargs={"unique": True}
    )
    amount: Decimal | None = money_field()
    product: str | None = Field(default=None, max_length=120, index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    # The owner as a CRM export named them when no user matches (a rep who is not a
    # user of the app); empty whenever owner_id is set.
    owner_name: str | None = Field(default=None, max_length=200)
    opened_on: date | None = None
    closed_on: date | None = Field(default=None, index=True)
    outcome: str = Field(default="open", max_length=20)
    primary_competitor_id: int | None = Field(
        default=None, foreign_key="competitor.id", index=True
    )
    rep_reason_id: int | None = Field(default=None, foreign_key="decision_factor.id")
    rep_notes: str | None = Field(default=None, sa_type=sa.Text)
    # Optimistic locking: bumped on every edit (web form, debrief, import).
    version: int = Field(default=1)
    created_at: datetime = timestamp_field(nullable=False, default_now=True)
    updated_at: datetime = timestamp_field(nullable=False, default_now=True)


class DealCompetitor(SQLModel, table=True):
    """A competitor the team met on a deal (a deal may meet several)."""

    __tablename__ = "deal_competitor"
    deal_id: int = link_key("deal.id")
    competitor_id: int = link_key("competitor.id", index=True)


# PostgreSQL puts NULLs first in a descending scan, so the deals list sorted by amount,
# largest first (amount DESC NULLS LAST, id DESC), cannot read ix_deal_outcome_amount
# backwards there: it sorted every deal of the outcome (bench: 19,252 won deals on L,
# 22 ms a page). SQLite puts NULLs last in a descending scan and needs no second index.
sa.Index("ix_deal_outcome_amount_desc", Deal.__table__.c.outcome,
         Deal.__table__.c.amount.desc().nulls_last(), Deal.__table__.c.id.desc(),
         info={"dialect": "postgresql"}).ddl_if(dialect="postgresql")


class InterviewGuide(SQLModel, table=True):
    __tablename__ = "interview_guide"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    outcome: str = Field(default="any", max_length=20)  # won, lost, no_decision, any
    active: bool = True
    version: int = Field(default=1)  # optimistic locking (db.check_version)


class GuideQuestion(SQLModel, table=True):
    __tablename__ = "guide_question"
    id: int | None = Field(default=None, primary_key=True)
    guide_id: int = Field(foreign_key="interview_guide.id", index=True, ondelete="CASCADE")
    position: int = 0
    text: str = Field(max_length=500)
    kind: str = Field(default="text", max_length=20)
    choices: str | None = Field(default=None, max_length=1000)  # ";"-separated
    factor_id: int | None = Field(default=None, foreign_key="decision_factor.id")
    version: int = Field(default=1)  # optimistic locking (db.check_version)


class WinLossInterview(SQLModel, table=True):
    __tablename__ = "winloss_interview"
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    stakeholder_id: int | None = Field(default=None, foreign_key="stakeholder.id")
    contact_name: str | None = Field(default=None, max_length=200)
    contact_title: str | None = Field(default=None, max_length=200)
    interviewer_id: int | None = Field(default=None, foreign_key="user.id")
    guide_id: int | None = Field(default=None, foreign_key="interview_guide.id")
    status: str = Field(default="requested", max_length=20, index=True)
    channel: str | None = Field(default=None, max_length=20)
    anonymity: str = Field(default="named", max_length=20)
    requested_at: datetime = timestamp_field(nullable=False, default_now=True)
    scheduled_for: datetime | None = timestamp_field()
    completed_at: datetime | None = timestamp_field()
    primary_reason_id: int | None = Field(default=None, foreign_key="decision_factor.id")
    notes: str | None = Field(default=None, sa_type=sa.Text)
    rule_id: int | None = Field(default=None, foreign_key="program_rule.id")
    version: int = Field(default=1)  # optimistic locking (db.check_version)


class InterviewAnswer(SQLModel, table=True):
    __tablename__ = "interview_answer"
    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="winloss_interview.id", index=True, ondelete="CASCADE")
    question_id: int | None = Field(default=None, foreign_key="guide_question.id")
    text: str | None = Field(default=None, sa_type=sa.Text)
    rating: int | None = None
    choice: str | None = Field(default=None, max_length=200)


class FactorRating(SQLModel, table=True):
    __tablename__ = "factor_rating"
    __table_args__ = (sa.UniqueConstraint("interview_id", "factor_id"),)
    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="winloss_interview.id", index=True, ondelete="CASCADE")
    factor_id: int = Field(foreign_key="decision_factor.id", index=True)
    rating: int | None = None  # our performance 1-5
    importance: int | None = None  # 1-5
    effect: str = Field(default="neutral", max_length=20)


class InterviewQuote(SQLModel, table=True):
    __tablename__ = "interview_quote"
    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="winloss_interview.id", index=True, ondelete="CASCADE")
    text: str = Field(sa_type=sa.Text)
    tags: str | None = Field(default=None, max_length=500)  # ";"-separated
    factor_id: int | None = Field(default=None, foreign_key="decision_factor.id", index=True)


class ProgramRule(SQLModel, table=True):
    """Which closed deals get an interview request."""

    __tablename__ = "program_rule"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    outcome: str | None = Field(default=None, max_length=20)  # None = any closed outcome
    min_amount: Decimal | None = money_field()
    competitor_id: int | None = Field(default=None, foreign_key="competitor.id")
    segment: str | None = Field(default=None, max_length=80)
    active: bool = True
    version: int = Field(default=1)  # optimistic locking (db.check_version)


__all__ = [
    "OUTCOMES",
    "CLOSED_OUTCOMES",
    "INTERVIEW_STATUSES",
    "INTERVIEW_CHANNELS",
    "ANONYMITY",
    "QUESTION_KINDS",
    "FACTOR_EFFECTS",
    "Competitor",
    "DecisionFactor",
    "Deal",
    "DealCompetitor",
    "InterviewGuide",
    "GuideQuestion",
    "WinLossInterview",
    "InterviewAnswer",
    "FactorRating",
    "InterviewQuote",
    "ProgramRule",
]
