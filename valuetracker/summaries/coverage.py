"""Coverage: did every key stakeholder get the quarter's summary?

Coverage (PRODUCT.md) = active, not opted-out key stakeholders who were sent the
quarter's summary / all active, not opted-out key stakeholders. "Active" = not left
the company and not erased. Figures are one GROUP BY; lists are one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import Account, Distribution, Stakeholder, ValueSummary
from ..quarters import Quarter
from ..stakeholders import contactable_condition


def eligible_condition() -> Any:
    """Key stakeholders who count for coverage (and get a summary)."""
    return sa.and_(Stakeholder.is_key.is_(True), contactable_condition())


def _sent_exists(quarter: Quarter) -> Any:
    return (
        select(Distribution.id)
        .join(ValueSummary, ValueSummary.id == Distribution.summary_id)
        .where(ValueSummary.stakeholder_id == Stakeholder.id,
               ValueSummary.quarter == quarter.label,
               ValueSummary.variant == "stakeholder",
               Distribution.status == "sent")
        .exists()
    )


@dataclass
class AccountCoverage:
    account_id: int
    name: str
    slug: str
    eligible: int
    sent: int
    status_of: dict[int, str] = field(default_factory=dict)

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.sent) / Decimal(self.eligible) if self.eligible else None


@dataclass
class CoverageRow:
    """One key stakeholder's state for the quarter."""

    stakeholder_id: int
    name: str
    title: str | None
    account_name: str
    account_slug: str
    state: str  # received, skipped, missing
    reason: str
    sent_at: datetime | None
    summary_id: int | None


def coverage_by_account(session: Session, quarter: Quarter, scope: Any) -> list[AccountCoverage]:
    """Coverage per account (accounts with at least one key stakeholder), one GROUP BY."""
    eligible = eligible_condition()
    sent = sa.and_(eligible, _sent_exists(quarter))
    rows = session.exec(
        select(Account.id, Account.name, Account.slug,
               sa.func.sum(sa.case((eligible, 1), else_=0)),
               sa.func.sum(sa.case((sent, 1), else_=0)))
        .join(Stakeholder, Stakeholder.account_id == Account.id)
        .where(scope, Stakeholder.is_key.is_(True), Stakeholder.erased_at.is_(None))
        .group_by(Account.id, Account.name, Account.slug)
        .order_by(Account.name)
    ).all()
    return [AccountCoverage(i, n, s, int(e or 0), int(c or 0)) for i, n, s, e, c in rows]


def portfolio_totals(rows: list[AccountCoverage]) -> AccountCoverage:
    """The portfolio figure: sums of the per-account counts (not a mean of rates)."""
    return AccountCoverage(0, "Portfolio", "", sum(r.eligible for r in rows),
                           sum(r.sent for r in rows))


def coverage_rows(session: Session, quarter: Quarter, scope: Any) -> list[CoverageRow]:
    """Every (non-erased) key stakeholder in scope with received / skipped (why) / missing."""
    sent_at = (
        select(sa.func.max(Distribution.sent_at))
        .join(ValueSummary, ValueSummary.id == Distribution.summary_id)
        .where(ValueSummary.stakeholder_id == Stakeholder.id,
               ValueSummary.quarter == quarter.label, ValueSummary.variant == "stakeholder",
               Distribution.status == "sent")
        .scalar_subquery()
    )
    summary_id = (
        select(sa.func.max(ValueSummary.id))
        .where(ValueSummary.stakeholder_id == Stakeholder.id,
               ValueSummary.quarter == quarter.label, ValueSummary.variant == "stakeholder")
        .scalar_subquery()
    )
    rows = session.exec(
        select(Stakeholder.id, Stakeholder.name, Stakeholder.title, Stakeholder.email,
               Stakeholder.opted_out_at, Stakeholder.left_company_at,
               Account.name, Account.slug, sent_at, summary_id)
        .join(Account, Account.id == Stakeholder.account_id)
        .where(scope, Stakeholder.is_key.is_(True), Stakeholder.erased_at.is_(None))
        .order_by(Account.name, Stakeholder.name)
    ).all()
    result = []
    for sid, name, title, email, opted_out, left, acc_name, acc_slug, sent, summary in rows:
        if left is not None:
            state, reason = "skipped", "left the company"
        elif opted_out is not None:
            state, reason = "skipped", "opted out"
        elif sent is not None:
            state, reason = "received", "sent"
        elif not email:
            state, reason = "missing", "no email address"
        elif summary is not None:
            state, reason = "missing", "generated, not sent"
        else:
            state, reason = "missing", "not generated"
        result.append(CoverageRow(sid, name, title, acc_name, acc_slug, state, reason, sent,
                                  summary))
    return result


def account_coverage(session: Session, account: Account, quarter: Quarter) -> AccountCoverage:
    """One account's coverage figure plus each key stakeholder's state."""
    scope = Account.id == account.id
    rows = coverage_by_account(session, quarter, scope)
    figure = rows[0] if rows else AccountCoverage(account.id, account.name, account.slug, 0, 0)
    figure.status_of = {r.stakeholder_id: r.state for r in coverage_rows(session, quarter, scope)}
    return figure
