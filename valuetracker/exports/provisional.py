"""PROVISIONAL figure queries for the Summary sheet.

These follow PRODUCT.md's definitions, but the app's own figures live in `value.py` and
`winloss.py`, built in parallel. Once those are merged, every function here is replaced by
a call into them so that the workbook shows exactly the app's numbers; nothing outside
`exports/figures.py` imports this module.

Each function is one GROUP BY query (or a handful) returning {account_id: figure}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import select

from ..models import (
    Account,
    Distribution,
    LoyaltyPulse,
    Stakeholder,
    ValueCommitment,
    ValueEntry,
    ValueSummary,
)
from .spec import ExportContext

ZERO = Decimal(0)
NONE_LABEL = "(none)"


@dataclass
class ValueFigures:
    by_driver: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = ZERO
    confirmed: Decimal = ZERO

    @property
    def confirmed_share(self) -> float | None:
        """PRODUCT.md: confirmed amount / total amount (None when nothing delivered)."""
        return float(self.confirmed / self.total) if self.total else None


@dataclass
class CommitmentFigures:
    due: int = 0
    on_time: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """PRODUCT.md: delivered on or before their due date / commitments due."""
        return self.on_time / self.due if self.due else None


@dataclass
class LoyaltyFigures:
    respondents: int = 0
    promoters: int = 0
    detractors: int = 0
    satisfied_not_loyal: int = 0

    @property
    def nps(self) -> float | None:
        """PRODUCT.md: % promoters (9-10) - % detractors (0-6) over latest pulses."""
        if not self.respondents:
            return None
        return 100 * (self.promoters - self.detractors) / self.respondents


@dataclass
class CoverageFigures:
    covered: int = 0
    eligible: int = 0

    @property
    def coverage(self) -> float | None:
        return self.covered / self.eligible if self.eligible else None


def _currency_entries(ctx: ExportContext, start: Any, end: Any) -> Any:
    return sa.and_(ValueEntry.unit == "currency", ValueEntry.delivered_on.between(start, end),
                   ctx.scope(ValueEntry.account_id))


def value_by_account(ctx: ExportContext) -> dict[int, ValueFigures]:
    """Value delivered in the quarter per account and driver, and the confirmed part."""
    q = ctx.quarter
    statement = (
        select(ValueEntry.account_id, ValueEntry.driver, func.sum(ValueEntry.amount),
               func.sum(sa.case((ValueEntry.evidence_status == "confirmed", ValueEntry.amount),
                                else_=0)))
        .where(_currency_entries(ctx, q.start, q.end))
        .group_by(ValueEntry.account_id, ValueEntry.driver)
    )
    result: dict[int, ValueFigures] = {}
    for account_id, driver, total, confirmed in ctx.session.execute(statement):
        figures = result.setdefault(account_id, ValueFigures())
        figures.by_driver[driver] = Decimal(total)
        figures.total += Decimal(total)
        figures.confirmed += Decimal(confirmed or 0)
    return result


def value_ytd_by_account(ctx: ExportContext) -> dict[int, Decimal]:
    q = ctx.quarter
    statement = (
        select(ValueEntry.account_id, func.sum(ValueEntry.amount))
        .where(_currency_entries(ctx, q.year_start, q.end))
        .group_by(ValueEntry.account_id)
    )
    return {account_id: Decimal(total) for account_id, total in ctx.session.execute(statement)}


def commitments_by_account(ctx: ExportContext) -> dict[int, CommitmentFigures]:
    """Commitments due in the quarter (dropped ones are no longer due) and those on time."""
    q = ctx.quarter
    on_time = sa.and_(ValueCommitment.status == "delivered",
                      ValueCommitment.delivered_on.is_not(None),
                      ValueCommitment.delivered_on <= ValueCommitment.due_on)
    statement = (
        select(ValueCommitment.account_id, func.count(),
               func.sum(sa.case((on_time, 1), else_=0)))
        .where(ValueCommitment.due_on.between(q.start, q.end),
               ValueCommitment.due_on <= ctx.today,  # not yet due is not due
               ValueCommitment.status != "dropped",
               ctx.scope(ValueCommitment.account_id))
        .group_by(ValueCommitment.account_id)
    )
    return {account_id: CommitmentFigures(int(due), int(on_time or 0))
            for account_id, due, on_time in ctx.session.execute(statement)}


def _latest_pulses(ctx: ExportContext) -> Any:
    """Each stakeholder's latest pulse taken by the end of the quarter."""
    position = func.row_number().over(
        partition_by=LoyaltyPulse.stakeholder_id,
        order_by=(LoyaltyPulse.taken_on.desc(), LoyaltyPulse.id.desc()),
    )
    ranked = (
        select(LoyaltyPulse.account_id, LoyaltyPulse.stakeholder_id, LoyaltyPulse.satisfaction,
               LoyaltyPulse.repurchase_intent, LoyaltyPulse.recommend,
               position.label("position"))
        .where(LoyaltyPulse.taken_on <= ctx.quarter.end, ctx.scope(LoyaltyPulse.account_id))
        .subquery()
    )
    return ranked


def _not_loyal(pulses: Any) -> Any:
    return sa.and_(pulses.c.satisfaction >= 4, pulses.c.repurchase_intent != "definitely")


def loyalty_by_account(ctx: ExportContext) -> dict[int, LoyaltyFigures]:
    pulses = _latest_pulses(ctx)
    statement = (
        select(pulses.c.account_id, func.count(),
               func.sum(sa.case((pulses.c.recommend >= 9, 1), else_=0)),
               func.sum(sa.case((pulses.c.recommend <= 6, 1), else_=0)),
               func.sum(sa.case((_not_loyal(pulses), 1), else_=0)))
        .where(pulses.c.position == 1)
        .group_by(pulses.c.account_id)
    )
    return {account_id: LoyaltyFigures(int(n), int(p or 0), int(d or 0), int(s or 0))
            for account_id, n, p, d, s in ctx.session.execute(statement)}


def _eligible_key_stakeholder() -> Any:
    return sa.and_(Stakeholder.is_key.is_(True), Stakeholder.left_company_at.is_(None),
                   Stakeholder.erased_at.is_(None), Stakeholder.opted_out_at.is_(None))


def coverage_by_account(ctx: ExportContext) -> dict[int, CoverageFigures]:
    """PRODUCT.md coverage: eligible key stakeholders sent the quarter's summary / eligible."""
    sent = (
        select(ValueSummary.stakeholder_id)
        .join(Distribution, Distribution.summary_id == ValueSummary.id)
        .where(ValueSummary.quarter == ctx.quarter.label, ValueSummary.variant == "stakeholder",
               Distribution.status == "sent")
    )
    statement = (
        select(Stakeholder.account_id, func.count(),
               func.sum(sa.case((Stakeholder.id.in_(sent), 1), else_=0)))
        .where(_eligible_key_stakeholder(), ctx.scope(Stakeholder.account_id))
        .group_by(Stakeholder.account_id)
    )
    return {account_id: CoverageFigures(int(covered or 0), int(eligible))
            for account_id, eligible, covered in ctx.session.execute(statement)}


def margin_tiers(ctx: ExportContext) -> dict[int, str]:
    """keep / grow / fix / let_go from revenue rank (top half) and margin (positive).

    Ranked over all active accounts, so a manager sees the same tier as a leader.
    """
    margin = Account.annual_revenue - func.coalesce(Account.cost_to_serve, 0)
    statement = (
        select(Account.id, margin)
        .where(Account.status != "archived", Account.annual_revenue.is_not(None))
        .order_by(Account.annual_revenue.desc(), Account.id)
    )
    rows = ctx.session.execute(statement).all()
    half = (len(rows) + 1) // 2
    tiers: dict[int, str] = {}
    for rank, (account_id, account_margin) in enumerate(rows):
        high_revenue = rank < half
        profitable = account_margin is not None and account_margin > 0
        if high_revenue:
            tiers[account_id] = "keep" if profitable else "fix"
        else:
            tiers[account_id] = "grow" if profitable else "let_go"
    return tiers


def risk_reasons_by_account(ctx: ExportContext) -> dict[int, list[str]]:
    """Why an account is at risk today (as the portfolio page shows it)."""
    as_of = ctx.today
    horizon = as_of - timedelta(days=90)
    reasons: dict[int, list[str]] = {}

    def add(account_id: int, reason: str) -> None:
        reasons.setdefault(account_id, []).append(reason)

    scoped_active = sa.and_(Account.status == "active", ctx.scope(Account.id))
    last_value = (
        select(Account.id, func.max(ValueEntry.delivered_on))
        .outerjoin(ValueEntry, sa.and_(ValueEntry.account_id == Account.id,
                                       ValueEntry.delivered_on <= as_of))
        .where(scoped_active)
        .group_by(Account.id)
    )
    for account_id, last in ctx.session.execute(last_value):
        if last is None or last < horizon:
            add(account_id, "No value logged in 90 days")
    disputed = (
        select(ValueEntry.account_id).where(ValueEntry.evidence_status == "disputed",
                                            ctx.scope(ValueEntry.account_id))
        .group_by(ValueEntry.account_id)
    )
    for (account_id,) in ctx.session.execute(disputed):
        add(account_id, "Disputed value")
    overdue = (
        select(ValueCommitment.account_id)
        .where(ValueCommitment.status.in_(("planned", "in_progress")),
               ValueCommitment.due_on < as_of, ctx.scope(ValueCommitment.account_id))
        .group_by(ValueCommitment.account_id)
    )
    for (account_id,) in ctx.session.execute(overdue):
        add(account_id, "Overdue commitments")
    pulses = _latest_pulses(ctx)
    key_pulses = (
        select(pulses.c.account_id,
               func.sum(sa.case((pulses.c.recommend <= 6, 1), else_=0)),
               func.sum(sa.case((_not_loyal(pulses), 1), else_=0)))
        .join(Stakeholder, Stakeholder.id == pulses.c.stakeholder_id)
        .where(pulses.c.position == 1, _eligible_key_stakeholder())
        .group_by(pulses.c.account_id)
    )
    for account_id, detractors, not_loyal in ctx.session.execute(key_pulses):
        if detractors:
            add(account_id, "Detractor key stakeholders")
        if not_loyal:
            add(account_id, "Satisfied-but-not-loyal key stakeholders")
    threads = (
        select(Account.id, func.count(Stakeholder.id))
        .outerjoin(Stakeholder, sa.and_(Stakeholder.account_id == Account.id,
                                        Stakeholder.left_company_at.is_(None),
                                        Stakeholder.erased_at.is_(None)))
        .where(scoped_active)
        .group_by(Account.id)
    )
    for account_id, people in ctx.session.execute(threads):
        if people < 2:
            add(account_id, "Single-threaded")
    renewals = select(Account.id).where(
        scoped_active, Account.renewal_date.between(as_of, as_of + timedelta(days=90))
    )
    for (account_id,) in ctx.session.execute(renewals):
        add(account_id, "Renewal within 90 days")
    return reasons
