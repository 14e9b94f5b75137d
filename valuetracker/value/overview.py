"""What the account pages show: the panel on the account page and the account value page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlmodel import Session, select

from .. import charts
from ..models import (
    DRIVERS,
    Account,
    AccountValueRollup,
    ValueCommitment,
    ValueEntry,
    is_satisfied_not_loyal,
    label,
    nps_group,
)
from ..quarters import Quarter, app_start_month, current_quarter
from .commitments import list_commitments
from .entries import last_delivered_on, recent_confirmations
from .lists import evidence_counts
from .metrics import (
    ConfirmedShare,
    OnTimeRate,
    latest_pulses,
    loyalty,
    loyalty_figures,
    loyalty_select,
    on_time_rate,
    on_time_select,
    value_summary,
)
from .outreach import open_links
from .portfolio import money


def _quarter(today: date | None) -> Quarter:
    try:
        start = app_start_month()
    except RuntimeError:  # outside an app (scripts): calendar quarters
        start = 1
    return current_quarter(start, today)


def _driver_series(by_quarter: dict[str, dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    return [(label(d), [by_quarter[q][d] for q in by_quarter]) for d in DRIVERS]


def driver_chart(by_quarter: dict[str, dict[str, Any]], *, title: str,
                 width: int = 640, legend: bool = True) -> Markup:
    """Stacked bars: value delivered per quarter, one segment per driver (web and PDF).

    The PDF draws it without its legend and shows `driver_legend()` as text instead:
    WeasyPrint lays SVG text out letter by letter, about half a millisecond a letter.
    """
    return charts.stacked_bar_chart(list(by_quarter), _driver_series(by_quarter),
                                    title=title, width=width, legend=legend)


def driver_legend(by_quarter: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """The (driver, colour) pairs of `driver_chart`'s legend."""
    return charts.legend_items(_driver_series(by_quarter))


def account_overview(session: Session, account: Account, *,
                     today: date | None = None) -> dict[str, Any]:
    """Context for the value panel on the account page (a handful of aggregate queries)."""
    today = today or date.today()
    quarter = _quarter(today)
    ids = [account.id]
    summary = value_summary(session, quarter=quarter, account_ids=ids)
    overdue = session.exec(
        select(ValueCommitment.id).where(ValueCommitment.account_id == account.id,
                                         ValueCommitment.overdue_condition(today))
    ).all()
    return {
        "quarter": quarter,
        "summary": summary,
        "periods": summary.periods,
        "confirmed_share": summary.confirmed,
        "on_time": on_time_rate(session, account_ids=ids, today=today),
        "overdue_count": len(overdue),
        "loyalty": loyalty(session, account_ids=ids),
        "last_delivered_on": last_delivered_on(session, account_id=account.id),
    }


@dataclass(frozen=True)
class PeriodTotals:
    """Value delivered this quarter, this fiscal year to date and in total (the panel's
    three figures; `ValuePeriods` has them per driver too)."""

    quarter_total: Decimal
    year_to_date_total: Decimal
    total_total: Decimal


def account_panel(session: Session, account: Account, *,
                  today: date | None = None) -> dict[str, Any]:
    """The figures of the value panel on the account page, as `account_overview` has
    them, in ONE statement: value delivered and its confirmed part summed from the
    account's value rollups (one row per month and driver, `valuetracker.rollups`),
    joined to the one-row aggregates of its commitments, its people's latest pulses and
    its last entry. The page is viewed right after a change to the account, so its
    cost is round trips, not rows."""
    today = today or date.today()
    quarter = _quarter(today)
    r = AccountValueRollup.__table__.c

    def in_months(start: date, end: date) -> Any:
        return sa.func.sum(sa.case((r.month.between(start, end), r.amount), else_=0))

    ids = [account.id]
    figures = select(in_months(quarter.start, quarter.end).label("quarter"),
                     in_months(quarter.year_start, quarter.end).label("year"),
                     sa.func.sum(r.amount).label("total"),
                     sa.func.sum(r.confirmed).label("confirmed")
                     ).where(r.account_id == account.id).subquery("figures")
    on_time = on_time_select(account_ids=ids, today=today).subquery("on_time")
    overdue = select(sa.func.count().label("overdue")).where(
        ValueCommitment.account_id == account.id,
        ValueCommitment.overdue_condition(today)).subquery("overdue")
    pulses = loyalty_select(account_ids=ids).subquery("pulses")
    last = select(sa.func.max(ValueEntry.delivered_on).label("last_on")).where(
        ValueEntry.account_id == account.id,
        ValueEntry.counted_condition()).subquery("last_entry")
    # Each part is an aggregate without GROUP BY: exactly one row, so they join on true.
    parts = sa.join(figures, on_time, sa.true()).join(overdue, sa.true()) \
        .join(pulses, sa.true()).join(last, sa.true())
    row = session.exec(select(
        figures.c.quarter, figures.c.year, figures.c.total, figures.c.confirmed,
        on_time.c.due, on_time.c.done, overdue.c.overdue, *pulses.c, last.c.last_on,
    ).select_from(parts)).one()
    total = money(row.total)
    return {
        "quarter": quarter,
        "periods": PeriodTotals(money(row.quarter), money(row.year), total),
        "confirmed_share": ConfirmedShare(money(row.confirmed), total),
        "on_time": OnTimeRate(int(row.done or 0), int(row.due or 0)),
        "overdue_count": int(row.overdue or 0),
        "loyalty": loyalty_figures(tuple(row)[7:11]),
        "last_delivered_on": row.last_on,
    }


def account_value_page(session: Session, account: Account, *, today: date | None = None,
                       overview: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything on /accounts/<slug>/value; a fixed number of queries whatever the size.
    `overview`: `account_overview`'s figures when the caller has them (not changed)."""
    today = today or date.today()
    context = dict(overview if overview is not None
                   else account_overview(session, account, today=today))
    by_quarter = context["summary"].by_quarter
    pulses = latest_pulses(session, account_id=account.id)
    context.update(
        by_quarter=by_quarter,
        chart=driver_chart(by_quarter, title=f"Value delivered by driver, {account.name}"),
        confirmed_share_ytd=context["summary"].confirmed_year_to_date,
        commitments=list_commitments(session, account_id=account.id),
        # (pulse, satisfied but not loyal, NPS group): the models' loyalty rules.
        latest_pulses=[(row, is_satisfied_not_loyal(row.satisfaction, row.repurchase_intent),
                        nps_group(row.recommend)) for row in pulses],
        confirmations=recent_confirmations(session, account_id=account.id),
        open_links=open_links(session, account_id=account.id),
        evidence_counts=evidence_counts(session, account_id=account.id),
        today=today,
    )
    return context
