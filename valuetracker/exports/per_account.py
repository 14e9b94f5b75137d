"""The app's figures broken down per account, for the Summary sheet.

`valuetracker.value` computes each figure over a set of accounts (one query per call);
calling it once per account would be thousands of queries on a large installation. So
each figure here is one GROUP BY account, built from the value module's own SQL pieces
(`latest_pulses_subquery`) and the models' rules (`ValueCommitment.due_condition`,
`promoter_condition`, `satisfied_not_loyal_condition`, ...), with the value module's
figure classes, which `tests/test_exports_figures.py` checks account by account:

- value delivered by driver, in the quarter and the fiscal year to date, and the confirmed
  share: `value.value_periods`, `value.confirmed_share`;
- commitments due in the quarter and delivered on time: `value.on_time_rate` (due = due
  in the quarter, by today, not dropped);
- NPS and satisfied-but-not-loyal over each stakeholder's latest pulse by the quarter's
  end: `value.loyalty(as_of=)`.

Coverage, margin tiers and at-risk reasons come straight from the app's functions (they
already answer per account), see figures.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import select

from ..models import (
    ValueCommitment,
    ValueEntry,
    detractor_condition,
    promoter_condition,
    satisfied_not_loyal_condition,
)
from ..value.metrics import (
    ConfirmedShare,
    LoyaltyFigures,
    OnTimeRate,
    counted_currency,
    latest_pulses_subquery,
)
from .spec import ExportContext

ZERO = Decimal(0)


def _dec(value: Any) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass
class ValueFigures:
    by_driver: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = ZERO
    year_to_date: Decimal = ZERO
    confirmed: Decimal = ZERO

    @property
    def confirmed_share(self) -> Decimal | None:
        """docs/definitions.md: confirmed amount / total amount (None when nothing delivered)."""
        return ConfirmedShare(self.confirmed, self.total).share


NO_COMMITMENTS = OnTimeRate(on_time=0, due=0)
NO_PULSES = LoyaltyFigures(respondents=0, promoters=0, detractors=0, satisfied_not_loyal=0)


def value_by_account(ctx: ExportContext) -> dict[int, ValueFigures]:
    """Currency value per account and driver: in the quarter, its fiscal year to date, and
    the confirmed part of the quarter's (one scan of the year's entries)."""
    q = ctx.quarter
    in_quarter = ValueEntry.delivered_on.between(q.start, q.end)
    confirmed = sa.and_(in_quarter, ValueEntry.evidence_status == "confirmed")
    statement = (
        select(ValueEntry.account_id, ValueEntry.driver,
               func.sum(sa.case((in_quarter, ValueEntry.amount), else_=0)),
               func.sum(ValueEntry.amount),
               func.sum(sa.case((confirmed, ValueEntry.amount), else_=0)))
        .where(counted_currency(),
               ValueEntry.delivered_on.between(q.year_start, q.end),
               ctx.scope(ValueEntry.account_id))
        .group_by(ValueEntry.account_id, ValueEntry.driver)
    )
    result: dict[int, ValueFigures] = {}
    for account_id, driver, quarter_sum, year_sum, confirmed_sum in ctx.session.execute(statement):
        figures = result.setdefault(account_id, ValueFigures())
        figures.by_driver[driver] = _dec(quarter_sum)
        figures.total += _dec(quarter_sum)
        figures.year_to_date += _dec(year_sum)
        figures.confirmed += _dec(confirmed_sum)
    return result


def commitments_by_account(ctx: ExportContext) -> dict[int, OnTimeRate]:
    """Commitments due in the quarter (and by today; dropped ones are not due) and on time."""
    q = ctx.quarter
    statement = (
        select(ValueCommitment.account_id, func.count(),
               func.sum(sa.case((ValueCommitment.on_time_condition(), 1), else_=0)))
        .where(ValueCommitment.due_on >= q.start, ValueCommitment.due_on <= q.end,
               ValueCommitment.due_condition(ctx.today),
               ctx.scope(ValueCommitment.account_id))
        .group_by(ValueCommitment.account_id)
    )
    return {account_id: OnTimeRate(on_time=int(done or 0), due=int(due))
            for account_id, due, done in ctx.session.execute(statement)}


def loyalty_by_account(ctx: ExportContext) -> dict[int, LoyaltyFigures]:
    """NPS counts and satisfied-but-not-loyal over each stakeholder's latest pulse by the
    quarter's end, per account."""
    latest = latest_pulses_subquery(account_ids=ctx.account_ids(), as_of=ctx.quarter.end)
    not_loyal = satisfied_not_loyal_condition(latest.c.satisfaction, latest.c.repurchase_intent)
    statement = (
        select(latest.c.account_id, func.count(),
               func.sum(sa.case((promoter_condition(latest.c.recommend), 1), else_=0)),
               func.sum(sa.case((detractor_condition(latest.c.recommend), 1), else_=0)),
               func.sum(sa.case((not_loyal, 1), else_=0)))
        .group_by(latest.c.account_id)
    )
    return {account_id: LoyaltyFigures(int(n), int(p or 0), int(d or 0), int(s or 0))
            for account_id, n, p, d, s in ctx.session.execute(statement)}
