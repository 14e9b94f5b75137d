"""Building the value and driver-ranking rollups: for some accounts, or all at once.

`refresh` recomputes the rollup rows of a few accounts (only the months a write
touched, when it is known) from their source rows and moves the segment totals by the
difference (what a write pays, a few small queries);
`rebuild_all` rebuilds every rollup set-based (imports, `seed-demo`, the bench's data
sets, the migration that adds the tables). Both take a Connection, so they run inside
the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..models import (
    DRIVERS,
    Account,
    AccountDriftRollup,
    AccountValueRollup,
    LoyaltyPulse,
    SegmentDriftRollup,
    SegmentValueRollup,
    ValueEntry,
)

# The label of accounts without a segment (the portfolio groups them under it).
NO_SEGMENT = "(no segment)"
CENT = Decimal("0.01")
# More accounts than this in one refresh: rebuilding everything set-based is cheaper.
REFRESH_LIMIT = 500

# What a refresh recomputes: {account id: the months (first days) of its rows to
# recompute, or None for every month of the account}.
Scope = Mapping[int, "frozenset[date] | None"]


def first_of_month(day: Any) -> date | None:
    """The month (its first day) a source row's date falls in; None when it is no date."""
    if isinstance(day, datetime):
        day = day.date()
    return day.replace(day=1) if isinstance(day, date) else None


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _whole_and_partial(scope: Scope) -> tuple[list[int], list[tuple[int, list[date]]]]:
    whole = sorted(a for a, months in scope.items() if months is None)
    partial = [(a, sorted(months)) for a, months in sorted(scope.items())
               if months is not None]
    return whole, partial


def source_condition(account: Any, day: Any, scope: Scope) -> Any:
    """SQL over a source table: its rows in `scope` (the account, and the day within one
    of the months named), so an index on (account, day) finds them."""
    whole, partial = _whole_and_partial(scope)
    parts = [account.in_(whole)] if whole else []
    for account_id, months in partial:
        parts.append(sa.and_(account == account_id, sa.or_(*(
            sa.and_(day >= m, day < _next_month(m)) for m in months))))
    return sa.or_(*parts)


def rollup_condition(table: Any, scope: Scope) -> Any:
    """SQL over an account rollup table: its rows in `scope`."""
    whole, partial = _whole_and_partial(scope)
    parts = [table.c.account_id.in_(whole)] if whole else []
    for account_id, months in partial:
        parts.append(sa.and_(table.c.account_id == account_id, table.c.month.in_(months)))
    return sa.or_(*parts)


def month_of(column: Any, dialect: str) -> Any:
    """SQL: the first day of the month of a date column, as a date."""
    if dialect == "postgresql":
        return sa.cast(sa.func.date_trunc("month", column), sa.Date)
    return sa.type_coerce(sa.func.date(column, "start of month"), sa.Date)


def account_segment() -> Any:
    """SQL over Account: the segment an account's value is grouped by (NO_SEGMENT for none)."""
    return sa.func.coalesce(Account.segment, NO_SEGMENT)


def value_source(dialect: str, scope: Scope | None = None) -> Any:
    """SELECT of `account_value_rollup`'s rows from the value entries themselves.

    Counted currency entries only (a `described` entry waiting for review counts
    nowhere), as every figure of value delivered.
    """
    month = month_of(ValueEntry.delivered_on, dialect)
    driver = sa.func.coalesce(ValueEntry.driver, "")
    segment = account_segment()  # one expression in SELECT and GROUP BY (PostgreSQL compares them)
    stmt = (
        sa.select(ValueEntry.account_id, month.label("month"), driver.label("driver"),
                  segment.label("segment"), sa.func.count().label("entries"),
                  sa.func.coalesce(sa.func.sum(ValueEntry.amount), 0).label("amount"),
                  sa.func.coalesce(sa.func.sum(sa.case(
                      (ValueEntry.evidence_status == "confirmed", ValueEntry.amount),
                      else_=sa.literal(0))), 0).label("confirmed"))
        .join(Account, Account.id == ValueEntry.account_id)
        .where(ValueEntry.unit == "currency", ValueEntry.counted_condition())
    )
    if scope is not None:
        stmt = stmt.where(source_condition(ValueEntry.account_id, ValueEntry.delivered_on,
                                           scope))
    return stmt.group_by(ValueEntry.account_id, month, driver, segment)


def drift_source(dialect: str, scope: Scope | None = None) -> Any:
    """SELECT of `account_drift_rollup`'s rows from the pulses' driver rankings.

    The JSON ranking is unpacked in SQL, one SELECT per rank position (UNION ALL), each
    row with twice the average place its ranking leaves to the drivers it omits
    (length + 1 + number of drivers), as `value.priority_drift` reads them.
    """
    n = len(DRIVERS)
    parts = []
    for position in range(n):
        part = (
            sa.select(
                LoyaltyPulse.account_id.label("account_id"),
                month_of(LoyaltyPulse.taken_on, dialect).label("month"),
                account_segment().label("segment"),
                sa.literal(position + 1).label("position"),
                LoyaltyPulse.driver_ranking[position].as_string().label("driver"),
                (sa.func.json_array_length(LoyaltyPulse.driver_ranking) + 1 + n)
                .label("left_out2"),
            )
            .join(Account, Account.id == LoyaltyPulse.account_id)
            .where(LoyaltyPulse.driver_ranking.is_not(None))
        )
        if scope is not None:
            part = part.where(source_condition(LoyaltyPulse.account_id,
                                               LoyaltyPulse.taken_on, scope))
        parts.append(part)
    unpacked = sa.union_all(*parts).subquery("ranked_drivers")
    first = unpacked.c.position == 1
    return (
        sa.select(unpacked.c.account_id, unpacked.c.month, unpacked.c.driver,
                  unpacked.c.segment, sa.func.count().label("rankings"),
                  sa.func.sum(unpacked.c.position).label("places"),
                  sa.func.sum(unpacked.c.left_out2).label("left_out2"),
                  sa.func.sum(sa.case((first, 1), else_=0)).label("firsts"),
                  sa.func.sum(sa.case((first, unpacked.c.left_out2), else_=0))
                  .label("first_left_out2"))
        .where(unpacked.c.driver.is_not(None))
        .group_by(unpacked.c.account_id, unpacked.c.month, unpacked.c.driver,
                  unpacked.c.segment)
    )


# (account table, segment table, source, the measures, the measure that counts rows)
_KINDS: tuple[tuple[Any, Any, Any, tuple[str, ...], str], ...] = (
    (AccountValueRollup.__table__, SegmentValueRollup.__table__, value_source,
     ("entries", "amount", "confirmed"), "entries"),
    (AccountDriftRollup.__table__, SegmentDriftRollup.__table__, drift_source,
     ("rankings", "places", "left_out2", "firsts", "first_left_out2"), "rankings"),
)

KIND_NAMES = ("value", "drift")  # the names of _KINDS, in order


def rebuild_all(conn: sa.Connection) -> None:
    """Every rollup from scratch, set-based (INSERT ... SELECT ... GROUP BY)."""
    dialect = conn.dialect.name
    for account_table, segment_table, source, measures, _count in _KINDS:
        conn.execute(account_table.delete())
        conn.execute(segment_table.delete())
        columns = ["account_id", "month", "driver", "segment", *measures]
        conn.execute(account_table.insert().from_select(columns, source(dialect)))
        a = account_table.c
        conn.execute(segment_table.insert().from_select(
            ["segment", "month", "driver", *measures],
            sa.select(a.segment, a.month, a.driver,
                      *(sa.func.sum(a[m]) for m in measures))
            .group_by(a.segment, a.month, a.driver)))


def _number(value: Any) -> Any:
    if isinstance(value, int):
        return value
    return Decimal(str(value or 0)).quantize(CENT)


def refresh_accounts(conn: sa.Connection, account_ids: Iterable[int], *,
                     kinds: Iterable[str] = KIND_NAMES) -> None:
    """Recompute every rollup row of `account_ids` (`refresh` with every month)."""
    refresh(conn, dict.fromkeys(account_ids), kinds=kinds)


def refresh(conn: sa.Connection, scope: Scope, *, kinds: Iterable[str] = KIND_NAMES) -> None:
    """Recompute the rollup rows in `scope` (some months of some accounts, or all of
    them) from their source rows and move the segment totals by the difference, inside
    the caller's transaction: a write to one entry reads and rewrites the rows of its
    month only. `kinds` limits it to some rollups ("value", "drift"): a value entry
    written moves no driver ranking.

    On PostgreSQL the accounts' rows are locked first (in id order), so two writers to
    one account take turns and the second one reads the first one's committed rows.
    """
    if not scope:
        return
    if len(scope) > REFRESH_LIMIT:
        rebuild_all(conn)
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(sa.select(Account.id).where(Account.id.in_(sorted(scope)))
                     .order_by(Account.id).with_for_update())
    wanted = set(kinds)
    key = ("account_id", "month", "driver")
    for name, (account_table, segment_table, source, measures, count) in zip(
            KIND_NAMES, _KINDS, strict=True):
        if name not in wanted:
            continue
        a = account_table.c
        in_scope = rollup_condition(account_table, scope)
        old = conn.execute(sa.select(*(a[c] for c in (*key, "segment", *measures)))
                           .where(in_scope)).mappings().all()
        new = conn.execute(source(dialect, scope)).mappings().all()
        deltas: dict[tuple[Any, ...], list[Any]] = {}
        for sign, rows in ((-1, old), (1, new)):
            for row in rows:
                totals = deltas.setdefault((row["segment"], row["month"], row["driver"]),
                                           [0 if isinstance(_number(row[m]), int)
                                            else Decimal(0) for m in measures])
                for i, m in enumerate(measures):
                    totals[i] += sign * _number(row[m])
        if old:
            conn.execute(account_table.delete().where(in_scope))
        if new:
            conn.execute(account_table.insert(), [
                {c: (_number(row[c]) if c in measures else row[c])
                 for c in (*key, "segment", *measures)} for row in new])
        changed = [(k, v) for k, v in sorted(deltas.items()) if any(v)]
        if changed:
            _move_segments(conn, segment_table, measures, count, changed)


def _move_segments(conn: sa.Connection, table: Any, measures: tuple[str, ...], count: str,
                   changed: list[tuple[tuple[Any, ...], list[Any]]]) -> None:
    """Add each difference to its segment row (created if new), then drop the rows that
    no longer count anything."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[table.c.segment, table.c.month, table.c.driver],
        set_={m: table.c[m] + stmt.excluded[m] for m in measures}), [
        {"segment": segment, "month": month, "driver": driver,
         **dict(zip(measures, values, strict=True))}
        for (segment, month, driver), values in changed])
    keys = [k for k, _v in changed]
    conn.execute(table.delete().where(
        table.c[count] == 0,
        sa.tuple_(table.c.segment, table.c.month, table.c.driver).in_(keys)))
