"""Figures of value delivery, all computed as SQL aggregates (definitions: docs/definitions.md).

Every function takes the session and keyword arguments; `account_ids` limits the
figure to some accounts (a list of ids, a SELECT of ids, or None for all accounts).
Amounts are Decimal; nothing is rounded here (templates round for display).
The rules the figures count by (promoter, detractor, satisfied but not loyal, due, on
time, overdue, counted entries) are defined once on the models (models/value.py), in Python and SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..models import (
    DRIVERS,
    LoyaltyPulse,
    Stakeholder,
    ValueCommitment,
    ValueEntry,
    detractor_condition,
    promoter_condition,
    satisfied_not_loyal_condition,
)
from ..models import is_satisfied_not_loyal as is_satisfied_not_loyal  # re-exported (API)
from ..quarters import Quarter, quarter_case
from ._scope import AccountIds, dec, ratio, scoped, today_or

# --------------------------------------------------------------------------- value delivered


def counted_currency() -> Any:
    """SQL: the entries value delivered adds up: in currency, and counted (a `described`
    entry, the customer's words waiting for review, has no amount and counts nowhere)."""
    return sa.and_(ValueEntry.unit == "currency", ValueEntry.counted_condition())


def value_by_driver(
    session: Session,
    *,
    account_ids: AccountIds = None,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Decimal]:
    """Value delivered (sum of currency entries delivered in [start, end]) per driver.

    Every driver is present (0 when nothing was delivered); `start`/`end` None = open.
    """
    stmt = select(ValueEntry.driver, sa.func.sum(ValueEntry.amount)).where(
        counted_currency()
    )
    if start is not None:
        stmt = stmt.where(ValueEntry.delivered_on >= start)
    if end is not None:
        stmt = stmt.where(ValueEntry.delivered_on <= end)
    stmt = scoped(stmt, ValueEntry.account_id, account_ids).group_by(ValueEntry.driver)
    result = {driver: Decimal(0) for driver in DRIVERS}
    for driver, total in session.exec(stmt).all():
        result[driver] = result.get(driver, Decimal(0)) + dec(total)
    return result


def value_delivered(
    session: Session,
    *,
    account_ids: AccountIds = None,
    start: date | None = None,
    end: date | None = None,
) -> Decimal:
    """Value delivered in [start, end]: the sum of currency entries delivered in it."""
    return sum(value_by_driver(session, account_ids=account_ids, start=start, end=end).values(),
               Decimal(0))


@dataclass
class ValuePeriods:
    """Value delivered this quarter, this fiscal year to date and in total, by driver."""

    quarter: dict[str, Decimal]
    year_to_date: dict[str, Decimal]
    total: dict[str, Decimal]

    @property
    def quarter_total(self) -> Decimal:
        return sum(self.quarter.values(), Decimal(0))

    @property
    def year_to_date_total(self) -> Decimal:
        return sum(self.year_to_date.values(), Decimal(0))

    @property
    def total_total(self) -> Decimal:
        return sum(self.total.values(), Decimal(0))


def value_periods(
    session: Session, *, quarter: Quarter, account_ids: AccountIds = None
) -> ValuePeriods:
    """Value by driver in `quarter`, from its fiscal year start to its end, and in total.

    One query: conditional sums per driver.
    """
    in_quarter = ValueEntry.delivered_on.between(quarter.start, quarter.end)
    in_year = ValueEntry.delivered_on.between(quarter.year_start, quarter.end)
    zero = sa.literal(0)
    stmt = select(
        ValueEntry.driver,
        sa.func.sum(sa.case((in_quarter, ValueEntry.amount), else_=zero)),
        sa.func.sum(sa.case((in_year, ValueEntry.amount), else_=zero)),
        sa.func.sum(ValueEntry.amount),
    ).where(counted_currency())
    stmt = scoped(stmt, ValueEntry.account_id, account_ids).group_by(ValueEntry.driver)
    periods = ValuePeriods(*({d: Decimal(0) for d in DRIVERS} for _ in range(3)))
    for driver, q_sum, y_sum, t_sum in session.exec(stmt).all():
        periods.quarter[driver] = dec(q_sum)
        periods.year_to_date[driver] = dec(y_sum)
        periods.total[driver] = dec(t_sum)
    return periods


def value_by_quarter(
    session: Session, *, quarters: list[Quarter], account_ids: AccountIds = None
) -> dict[str, dict[str, Decimal]]:
    """{quarter label: {driver: value delivered}} for each of `quarters` (all present)."""
    quarter_col = quarter_case(ValueEntry.delivered_on, quarters).label("quarter")
    stmt = (
        select(quarter_col, ValueEntry.driver, sa.func.sum(ValueEntry.amount))
        .where(
            counted_currency(),
            ValueEntry.delivered_on.between(quarters[0].start, quarters[-1].end),
        )
    )
    stmt = scoped(stmt, ValueEntry.account_id, account_ids).group_by(
        quarter_col, ValueEntry.driver
    )
    result = {q.label: {d: Decimal(0) for d in DRIVERS} for q in quarters}
    for label, driver, total in session.exec(stmt).all():
        if label in result:
            result[label][driver] = dec(total)
    return result


@dataclass
class ConfirmedShare:
    confirmed: Decimal
    total: Decimal

    @property
    def share(self) -> Decimal | None:
        """confirmed / total, None when no currency value was delivered."""
        return ratio(self.confirmed, self.total)


def confirmed_share(
    session: Session,
    *,
    account_ids: AccountIds = None,
    start: date | None = None,
    end: date | None = None,
) -> ConfirmedShare:
    """Confirmed share = confirmed amount / total amount of currency entries in [start, end].

    A customer's corrected amount replaces the entry's amount when they confirm it,
    so the confirmed amount is the customer's own figure.
    """
    stmt = select(
        sa.func.sum(sa.case((ValueEntry.evidence_status == "confirmed", ValueEntry.amount),
                            else_=sa.literal(0))),
        sa.func.sum(ValueEntry.amount),
    ).where(counted_currency())
    if start is not None:
        stmt = stmt.where(ValueEntry.delivered_on >= start)
    if end is not None:
        stmt = stmt.where(ValueEntry.delivered_on <= end)
    stmt = scoped(stmt, ValueEntry.account_id, account_ids)
    confirmed, total = session.exec(stmt).one()
    return ConfirmedShare(dec(confirmed), dec(total))


# --------------------------------------------------------------------------- commitments


@dataclass
class OnTimeRate:
    on_time: int
    due: int

    @property
    def rate(self) -> Decimal | None:
        return ratio(self.on_time, self.due)


def on_time_rate(
    session: Session,
    *,
    account_ids: AccountIds = None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> OnTimeRate:
    """On-time rate = commitments delivered on or before their due date / commitments due.

    "Due" means: due date within [start, end] and `ValueCommitment.due_condition(today)`
    (due by today, not `dropped`); on time is `ValueCommitment.on_time_condition()`.
    """
    due, done = session.exec(on_time_select(account_ids=account_ids, start=start, end=end,
                                            today=today)).one()
    return OnTimeRate(int(done or 0), int(due or 0))


def on_time_select(*, account_ids: AccountIds = None, start: date | None = None,
                   end: date | None = None, today: date | None = None) -> Any:
    """SELECT of one row (commitments due, of them on time): `on_time_rate`'s query."""
    stmt = select(
        sa.func.count().label("due"),
        sa.func.sum(sa.case((ValueCommitment.on_time_condition(), 1), else_=0)).label("done"),
    ).where(ValueCommitment.due_condition(today_or(today)))
    if start is not None:
        stmt = stmt.where(ValueCommitment.due_on >= start)
    if end is not None:
        stmt = stmt.where(ValueCommitment.due_on <= end)
    return scoped(stmt, ValueCommitment.account_id, account_ids)


# --------------------------------------------------------------------------- loyalty


_LATER_PULSE = aliased(LoyaltyPulse, name="later_pulse")


def latest_pulses_subquery(*, account_ids: AccountIds = None, as_of: date | None = None) -> Any:
    """A subquery of each stakeholder's latest pulse (by taken_on, then id).

    Columns are LoyaltyPulse's; use `.c.stakeholder_id`, `.c.recommend`... Written as
    "no later pulse of the same stakeholder exists" rather than a ROW_NUMBER() window:
    the index on (stakeholder_id, taken_on) answers each probe, where the window sorts
    every pulse (about 3x slower with 20 000 pulses).
    """
    later = _LATER_PULSE
    newer = select(later.id).where(
        later.stakeholder_id == LoyaltyPulse.stakeholder_id,
        sa.or_(later.taken_on > LoyaltyPulse.taken_on,
               sa.and_(later.taken_on == LoyaltyPulse.taken_on, later.id > LoyaltyPulse.id)),
    )
    if as_of is not None:
        newer = newer.where(later.taken_on <= as_of)
    # Table columns, not the ORM entity: the same result, cheaper to build per request.
    inner = select(*LoyaltyPulse.__table__.columns).where(~newer.exists())
    if as_of is not None:
        inner = inner.where(LoyaltyPulse.taken_on <= as_of)
    return scoped(inner, LoyaltyPulse.account_id, account_ids).subquery("latest_pulse")


@dataclass
class LoyaltyFigures:
    """NPS and "satisfied but not loyal" over each stakeholder's latest pulse."""

    respondents: int
    promoters: int
    detractors: int
    satisfied_not_loyal: int

    @property
    def passives(self) -> int:
        return self.respondents - self.promoters - self.detractors

    @property
    def nps(self) -> Decimal | None:
        """% promoters (9-10) - % detractors (0-6), as a number from -100 to 100."""
        if not self.respondents:
            return None
        return Decimal(100) * (self.promoters - self.detractors) / self.respondents


def loyalty(
    session: Session, *, account_ids: AccountIds = None, as_of: date | None = None
) -> LoyaltyFigures:
    """NPS counts and satisfied-but-not-loyal count over each stakeholder's latest pulse."""
    return loyalty_figures(session.exec(loyalty_select(account_ids=account_ids,
                                                       as_of=as_of)).one())


def loyalty_select(*, account_ids: AccountIds = None, as_of: date | None = None) -> Any:
    """SELECT of one row (respondents, promoters, detractors, satisfied but not loyal):
    `loyalty`'s query."""
    latest = latest_pulses_subquery(account_ids=account_ids, as_of=as_of)
    return select(
        sa.func.count().label("respondents"),
        sa.func.sum(sa.case((promoter_condition(latest.c.recommend), 1), else_=0))
        .label("promoters"),
        sa.func.sum(sa.case((detractor_condition(latest.c.recommend), 1), else_=0))
        .label("detractors"),
        sa.func.sum(sa.case(
            (satisfied_not_loyal_condition(latest.c.satisfaction, latest.c.repurchase_intent), 1),
            else_=0,
        )).label("satisfied_not_loyal"),
    ).select_from(latest)


def loyalty_figures(row: Any) -> LoyaltyFigures:
    """`LoyaltyFigures` from a row of `loyalty_select` (or its columns, in order)."""
    n, promoters, detractors, sbnl = row
    return LoyaltyFigures(int(n or 0), int(promoters or 0), int(detractors or 0), int(sbnl or 0))


# The groups of people the loyalty figures count, each a value of the stakeholder list's
# `pulse` filter: `any` is every respondent of the NPS.
PULSE_GROUPS = ("any", "promoter", "passive", "detractor", "satisfied_not_loyal")


def latest_pulse_stakeholders(group: str, *, account_ids: AccountIds = None) -> Any:
    """SELECT of the ids of the stakeholders whose latest pulse `loyalty` counts, in one
    of `PULSE_GROUPS`: the people behind the NPS and "satisfied but not loyal"."""
    latest = latest_pulses_subquery(account_ids=account_ids)
    promoter = promoter_condition(latest.c.recommend)
    detractor = detractor_condition(latest.c.recommend)
    condition = {
        "any": sa.true(), "promoter": promoter, "detractor": detractor,
        "passive": sa.and_(sa.not_(promoter), sa.not_(detractor)),
        "satisfied_not_loyal": satisfied_not_loyal_condition(latest.c.satisfaction,
                                                             latest.c.repurchase_intent),
    }[group]
    return select(latest.c.stakeholder_id).where(condition)


def nps(session: Session, *, account_ids: AccountIds = None) -> Decimal | None:
    """NPS over each stakeholder's latest pulse (None without pulses)."""
    return loyalty(session, account_ids=account_ids).nps


def latest_pulses(session: Session, *, account_id: int) -> list[Any]:
    """Each stakeholder's latest pulse on one account, with the stakeholder's name and key flag."""
    latest = latest_pulses_subquery(account_ids=[account_id])
    stmt = (
        select(latest, Stakeholder.name, Stakeholder.is_key)
        .join(Stakeholder, Stakeholder.id == latest.c.stakeholder_id)
        .order_by(Stakeholder.is_key.desc(), Stakeholder.name)
    )
    return list(session.exec(stmt).all())


# --------------------------------------------------------------------------- one-scan summary


@dataclass
class ValueSummary:
    """Value by driver per period and the confirmed shares, from ONE grouped query.

    What the account value page needs; the single scan keeps it fast on accounts
    with tens of thousands of entries.
    """

    periods: ValuePeriods
    by_quarter: dict[str, dict[str, Decimal]]
    confirmed: ConfirmedShare
    confirmed_year_to_date: ConfirmedShare
    # The quarter's confirmed share, and its confirmed amount per driver (PDF summaries).
    confirmed_quarter: ConfirmedShare = field(
        default_factory=lambda: ConfirmedShare(Decimal(0), Decimal(0)))
    quarter_confirmed_by_driver: dict[str, Decimal] = field(default_factory=dict)


def value_summary(
    session: Session,
    *,
    quarter: Quarter,
    account_ids: AccountIds = None,
    quarters: int = 8,
    through: date | None = None,
) -> ValueSummary:
    """Everything `value_periods`, `value_by_quarter` (last `quarters` quarters) and
    `confirmed_share` (total, year to date and quarter) give, in one GROUP BY quarter,
    driver, evidence status. The fiscal year to date lies within the last 4 quarters, so
    it is summed from the quarter buckets; entries older than the window fall in one bucket.

    `through` leaves out entries delivered after that date (a summary of a past quarter
    passes the quarter's end so "total" means "up to then"); None counts every entry.
    """
    shown = quarter.last(max(quarters, 4))
    bucket = quarter_case(ValueEntry.delivered_on, shown).label("quarter")
    stmt = select(bucket, ValueEntry.driver, ValueEntry.evidence_status,
                  sa.func.sum(ValueEntry.amount)).where(counted_currency())
    if through is not None:
        stmt = stmt.where(ValueEntry.delivered_on <= through)
    stmt = scoped(stmt, ValueEntry.account_id, account_ids).group_by(
        bucket, ValueEntry.driver, ValueEntry.evidence_status)
    year_labels = {q.label for q in shown if quarter.year_start <= q.start <= quarter.start}
    periods = ValuePeriods(*({d: Decimal(0) for d in DRIVERS} for _ in range(3)))
    by_quarter = {q.label: {d: Decimal(0) for d in DRIVERS} for q in shown[-quarters:]}
    confirmed = [Decimal(0), Decimal(0)]  # confirmed, total
    confirmed_ytd = [Decimal(0), Decimal(0)]
    confirmed_q = [Decimal(0), Decimal(0)]
    quarter_confirmed = {d: Decimal(0) for d in DRIVERS}
    for label, driver, status, total in session.exec(stmt).all():
        amount = dec(total)
        periods.total[driver] = periods.total.get(driver, Decimal(0)) + amount
        confirmed[1] += amount
        if status == "confirmed":
            confirmed[0] += amount
        if label is None:
            continue
        if label in by_quarter:
            by_quarter[label][driver] = by_quarter[label].get(driver, Decimal(0)) + amount
        if label == quarter.label:
            periods.quarter[driver] = periods.quarter.get(driver, Decimal(0)) + amount
            confirmed_q[1] += amount
            if status == "confirmed":
                confirmed_q[0] += amount
                quarter_confirmed[driver] = quarter_confirmed.get(driver, Decimal(0)) + amount
        if label in year_labels:
            periods.year_to_date[driver] = periods.year_to_date.get(driver, Decimal(0)) + amount
            confirmed_ytd[1] += amount
            if status == "confirmed":
                confirmed_ytd[0] += amount
    return ValueSummary(periods, by_quarter, ConfirmedShare(*confirmed),
                        ConfirmedShare(*confirmed_ytd), ConfirmedShare(*confirmed_q),
                        quarter_confirmed)
