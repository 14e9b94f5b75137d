"""Portfolio figures: margin tiers, value migration and priority drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..models import (
    DRIVERS,
    Account,
    AccountDriftRollup,
    AccountValueRollup,
    SegmentDriftRollup,
    SegmentValueRollup,
)
from ..quarters import Quarter, quarter_case
from ..rollups.build import NO_SEGMENT as NO_SEGMENT  # re-exported: the portfolio's label
from ..rollups.build import account_segment
from ._scope import AccountIds, dec, scoped

TIER_ORDER = ("keep", "grow", "fix", "let_go")
TIER_RULE = (
    "Active accounts with an annual revenue are ranked by revenue across the whole "
    "portfolio, whoever looks (1 = highest; equal revenues share a rank). The top half "
    "is rank ≤ ⌈n/2⌉. Margin = revenue − cost to serve. Keep: top half, margin > 0. "
    "Grow: bottom half, margin > 0. Fix: top half, margin ≤ 0. Let go: bottom half, "
    "margin ≤ 0."
)


@dataclass
class TieredAccount:
    id: int
    name: str
    slug: str
    segment: str | None
    revenue: Decimal
    cost_to_serve: Decimal
    margin: Decimal
    revenue_rank: int
    tier: str


def margin_tiers(session: Session, *, account_ids: AccountIds = None) -> list[TieredAccount]:
    """Active accounts with revenue, most valuable first, each with its tier.

    The rule (also shown on the page, TIER_RULE): rank by annual revenue with SQL
    RANK() (1 = highest, ties share a rank) over the n ranked accounts; top half =
    rank <= ceil(n/2), i.e. 2 * rank <= n + 1. Margin = revenue - cost to serve
    (no cost recorded = 0). keep = top & margin > 0; grow = bottom & margin > 0;
    fix = top & margin <= 0; let_go = bottom & margin <= 0.

    The tier is a fact of the whole portfolio: the rank is always taken over every
    active account with revenue, and `account_ids` only chooses which of them are
    returned. So an account has the same tier whoever looks (page, export, any role).
    """
    margin = (Account.annual_revenue - sa.func.coalesce(Account.cost_to_serve, 0))
    rank = sa.func.rank().over(order_by=Account.annual_revenue.desc())
    n = sa.func.count().over()
    inner = select(
        Account.id, Account.name, Account.slug, Account.segment,
        Account.annual_revenue.label("revenue"),
        sa.func.coalesce(Account.cost_to_serve, 0).label("cost"),
        margin.label("margin"), rank.label("revenue_rank"), n.label("ranked"),
    ).where(Account.status == "active", Account.annual_revenue.is_not(None))
    inner = inner.subquery("ranked_accounts")
    top = 2 * inner.c.revenue_rank <= inner.c.ranked + 1
    positive = inner.c.margin > 0
    tier = sa.case(
        (sa.and_(top, positive), "keep"),
        (positive, "grow"),
        (top, "fix"),
        else_="let_go",
    )
    # Scoped after ranking (outside the window), never inside it.
    rows = session.exec(scoped(
        select(inner.c.id, inner.c.name, inner.c.slug, inner.c.segment, inner.c.revenue,
               inner.c.cost, inner.c.margin, inner.c.revenue_rank, tier),
        inner.c.id, account_ids)
        .order_by(inner.c.revenue_rank, inner.c.name)
    ).all()
    return [TieredAccount(r[0], r[1], r[2], r[3], dec(r[4]), dec(r[5]), dec(r[6]), int(r[7]),
                          r[8]) for r in rows]


def tiers_grouped(accounts: list[TieredAccount]) -> dict[str, list[TieredAccount]]:
    grouped: dict[str, list[TieredAccount]] = {tier: [] for tier in TIER_ORDER}
    for account in accounts:
        grouped[account.tier].append(account)
    return grouped


# --------------------------------------------------------------------------- value migration


@dataclass
class DriverShare:
    amount: Decimal
    share: Decimal | None  # of the segment's value that quarter, 0..1
    change: Decimal | None  # share minus the previous quarter's share (fraction points)
    # The driver's amount the quarter before: the change is taken over the entries of
    # both quarters (the portfolio's change figure opens them, adding up to both amounts).
    previous_amount: Decimal = Decimal(0)


@dataclass
class SegmentMigration:
    segment: str
    # {quarter label: {driver: DriverShare}}
    quarters: dict[str, dict[str, DriverShare]] = field(default_factory=dict)
    totals: dict[str, Decimal] = field(default_factory=dict)


def migration_segment() -> Any:
    """SQL over Account: the segment value migration groups an account's value by (the
    rollups' own expression, so a figure's list selects the same accounts)."""
    return account_segment()


def value_migration(
    session: Session, *, quarters: list[Quarter], account_ids: AccountIds = None,
    segment: str | None = None,
) -> list[SegmentMigration]:
    """Each driver's share of currency value per segment per quarter, and its change.

    One GROUP BY (segment, quarter, driver) over `quarters` plus the quarter before
    them (so the first shown quarter has a change), over the value rollups
    (`valuetracker.rollups`): the segment totals for the whole portfolio, the accounts'
    rows for a scope. Shares are computed from those few aggregate rows. A quarter with
    no value has no shares (None) and the change after it is None too.
    """
    span = [quarters[0].previous(), *quarters]
    table = (SegmentValueRollup if account_ids is None else AccountValueRollup).__table__
    quarter_col = quarter_case(table.c.month, span).label("quarter")
    stmt = (
        select(table.c.segment, quarter_col, table.c.driver, sa.func.sum(table.c.amount))
        .where(table.c.month.between(span[0].start, span[-1].end))
    )
    if segment:
        stmt = stmt.where(table.c.segment == segment)
    if account_ids is not None:
        stmt = scoped(stmt, table.c.account_id, account_ids)
    stmt = stmt.group_by(table.c.segment, quarter_col, table.c.driver)
    sums: dict[str, dict[str, dict[str, Decimal]]] = {}
    for seg, label, driver, total in session.exec(stmt).all():
        if label is not None:
            sums.setdefault(seg, {}).setdefault(label, {})[driver] = money(total)
    result = []
    for seg in sorted(sums):
        migration = SegmentMigration(seg)
        previous: dict[str, Decimal | None] = {d: None for d in DRIVERS}
        previous_amounts: dict[str, Decimal] = {d: Decimal(0) for d in DRIVERS}
        for q in span:
            by_driver = sums[seg].get(q.label, {})
            total = sum(by_driver.values(), Decimal(0))
            shares: dict[str, DriverShare] = {}
            for driver in DRIVERS:
                amount = by_driver.get(driver, Decimal(0))
                share = amount / total if total else None
                prev = previous[driver]
                change = share - prev if share is not None and prev is not None else None
                shares[driver] = DriverShare(amount, share, change, previous_amounts[driver])
                previous[driver] = share
                previous_amounts[driver] = amount
            if q != span[0]:
                migration.quarters[q.label] = shares
                migration.totals[q.label] = total
        result.append(migration)
    return result


def money(value: Any) -> Decimal:
    """A summed amount as Decimal with two places (amounts have two places; SQLite sums
    them as floats)."""
    return dec(value).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- priority drift


@dataclass
class DriverPriority:
    responses: int  # pulses with a driver ranking this quarter
    average_rank: Decimal | None  # 1 = most important
    first_place_share: Decimal | None  # of those rankings, the ones putting this driver first


def priority_drift(
    session: Session, *, quarters: list[Quarter], account_ids: AccountIds = None,
    segment: str | None = None,
) -> dict[str, dict[str, DriverPriority]]:
    """{quarter: {driver: average rank, share of first place}} from pulses' driver rankings.

    Every pulse with a ranking taken in the quarter counts (so a stakeholder's drift
    shows as their answers change). A ranking may name only the top three: the drivers
    it leaves out share the places after them, so each takes their average (3 named:
    (4 + 5 + 6) / 3 = 5), as tied ranks do. A full ranking is its own average.

    The JSON ranking is unpacked in SQL (one SELECT per rank position, UNION ALL, each
    row with its ranking's length) into the drift rollups per account, segment, month
    and driver (`valuetracker.rollups`); here they are summed per quarter and driver
    (the segment totals for the whole portfolio, the accounts' rows for a scope). For a driver:
    average rank = (sum of its places + the left-out places of the rankings without it)
    / rankings, where a ranking of length L leaves out places averaging (L + 1 + n) / 2.
    """
    table = (SegmentDriftRollup if account_ids is None else AccountDriftRollup).__table__
    quarter_col = quarter_case(table.c.month, quarters).label("quarter")
    stmt = (
        select(quarter_col, table.c.driver, sa.func.sum(table.c.rankings),
               sa.func.sum(table.c.places), sa.func.sum(table.c.left_out2),
               sa.func.sum(table.c.firsts), sa.func.sum(table.c.first_left_out2))
        .where(table.c.month.between(quarters[0].start, quarters[-1].end))
    )
    if segment:
        stmt = stmt.where(table.c.segment == segment)
    if account_ids is not None:
        stmt = scoped(stmt, table.c.account_id, account_ids)
    stmt = stmt.group_by(quarter_col, table.c.driver)
    # Per quarter and driver: (times ranked, sum of places, sum of left_out2); per
    # quarter: rankings (each has one first place) and their left_out2 summed.
    named: dict[str, dict[str, tuple[int, int, int]]] = {q.label: {} for q in quarters}
    firsts: dict[str, dict[str, int]] = {q.label: {} for q in quarters}
    rankings = {q.label: 0 for q in quarters}
    left_out_all = {q.label: 0 for q in quarters}
    for label, driver, count, places, left_out2, first_count, first_left_out2 in \
            session.exec(stmt).all():
        if label not in named or driver not in DRIVERS:
            continue
        named[label][driver] = (int(count), int(places), int(left_out2))
        firsts[label][driver] = int(first_count or 0)
        rankings[label] += int(first_count or 0)
        left_out_all[label] += int(first_left_out2 or 0)
    result = {q.label: {d: DriverPriority(0, None, None) for d in DRIVERS} for q in quarters}
    for label, total in rankings.items():
        if not total:
            continue
        for driver in DRIVERS:
            _count, places, left_out2 = named[label].get(driver, (0, 0, 0))
            # 2 x (its places + the left-out places of the rankings that omit it).
            doubled = 2 * places + left_out_all[label] - left_out2
            result[label][driver] = DriverPriority(
                total, Decimal(doubled) / (2 * total),
                Decimal(firsts[label].get(driver, 0)) / total)
    return result


def segments(session: Session, *, account_ids: AccountIds = None) -> list[str]:
    rows = session.exec(scoped(select(sa.func.coalesce(Account.segment, NO_SEGMENT))
                               .distinct(), Account.id, account_ids)).all()
    return sorted(rows)


# --------------------------------------------------------------------------- the page's figures


@dataclass
class PortfolioOverview:
    """The portfolio page's account figures for one scope: segments, tiers, risks."""

    segments: list[str]
    tiers: list[TieredAccount]  # most valuable first
    grouped: dict[str, list[TieredAccount]]  # the same accounts per tier (tiers_grouped)


def portfolio_overview(
    session: Session, *, account_ids: AccountIds = None, today: date | None = None,
) -> PortfolioOverview:
    """Segments and margin tiers (a handful of queries, whatever the size). Accounts at
    risk are the health list of `valuetracker.signals` (`accounts_health`)."""
    tiers = margin_tiers(session, account_ids=account_ids)
    return PortfolioOverview(
        segments=segments(session, account_ids=account_ids), tiers=tiers,
        grouped=tiers_grouped(tiers))
