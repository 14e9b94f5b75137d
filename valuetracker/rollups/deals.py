"""Deal outcomes per group: the win/loss rollup, kept in the writer's transaction.

The win/loss figures (win rates by segment, product, owner, competitor and quarter,
factor impact, top reasons, rep versus buyer, the program scorecard) read `deal_rollup`
instead of every deal and interview. Each row counts the closed deals of one month of
closing (`month`, the month's first day) and one group; `kind` says which:

- `segment` (`label` = account segment), `product` (`label`), `owner` (`ref_id` = the
  owner user, `label` = a kept owner name), `competitor` (`ref_id` = a competitor met,
  NULL: none): `n` deals and `amount`, their sum;
- `rep_reason` (`ref_id` = the rep's primary reason): `n` deals;
- `interviews` (`label` = status, `ref_id` = the buyer's primary reason, `ref2_id` = the
  rep's): `n` interviews;
- `factor` (`ref_id` = factor, `label` = effect; completed interviews): `n` ratings,
  `rated`/`rating_sum` (ratings given, their sum), `weighted`/`importance_sum`;
- `days` (`ref_id` = whole days from closing to the completed interview): `n` interviews;
- `compared`: `n` deals whose rep and buyer (a completed interview) both gave a reason;
  `disagreeing`: `n` of those whose reasons differ.

Every row also has the deals' `outcome`. The same SELECTs (`source_rows`) fill the table
and count the days of a period that do not cover whole months, so a figure for any
period is the rollup's whole months plus its partial months counted from the deals:
exact, whatever the dates.

Keeping it current: every flush notes which groups it touched, as (month of closing,
outcome): a deal's old and new month and outcome (a deal moving from won to lost touches
both); the month and outcome of the deals whose competitors, interviews or ratings
changed, or whose account changed segment. Before the transaction commits, or before a
figure is read inside it, those groups are counted again from their deals (`settle`,
`recount`) and only the rollup rows whose counts differ are written: a write costs one
month's deals of its outcomes and rewrites the few rows of its own groups, not the
month's thousand rows. Statements that name their deals (`deal_rollup_deals`, below)
recount those deals' whole months, as their old outcomes are not known. A bulk
statement the listener cannot attribute (an import's INSERT) rebuilds every month once,
set-based. Statements that know which deals they touch say so with
`execution_options(deal_rollup_deals=ids)` (or `deal_rollup_interviews=ids`; an empty
tuple: nothing the rollup counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from .. import db
from ..models import (
    CLOSED_OUTCOMES,
    ROLLUP_DEALS,
    ROLLUP_INTERVIEWS,
    Account,
    Deal,
    DealCompetitor,
    DealRollup,
    FactorRating,
    WinLossInterview,
)
from ..winloss.deals import closed_in_period, days_counted, reasons_compared

KINDS = ("segment", "product", "owner", "competitor", "rep_reason", "interviews", "factor",
         "days", "compared", "disagreeing")
# Deal columns a figure reads: edits to others (notes, names) leave the rollup alone.
_DEAL_FIELDS = ("outcome", "closed_on", "amount", "product", "owner_id", "owner_name",
                "rep_reason_id", "account_id")
_INTERVIEW_FIELDS = ("deal_id", "status", "primary_reason_id", "completed_at")
_SOURCE_TABLES = frozenset({"deal", "deal_competitor", "winloss_interview", "factor_rating"})
_PENDING = "valuetracker.deal_rollup_pending"
# Serializes the recounts on PostgreSQL: a recount reads what committed before it.
_LOCK_KEY = 0x76740012
# Beyond this many months a write recounts everything in one pass.
_MAX_MONTHS = 24


def month_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month_end(day: date) -> date:
    return _next_month(month_of(day)) - timedelta(days=1)


def month_column(dialect: str, column: Any) -> Any:
    """SQL: the first day of the month of a date column."""
    if dialect == "postgresql":
        return sa.cast(sa.func.date_trunc("month", column), sa.Date)
    return sa.func.date(column, "start of month")


def days_between(dialect: str, start_date: Any, end_timestamp: Any) -> Any:
    """Whole days from a date column to a timestamp column, per dialect."""
    if dialect == "postgresql":
        # The UTC calendar day, whatever the server's time zone; date - date = whole days.
        return sa.cast(sa.func.timezone("UTC", end_timestamp), sa.Date) - start_date
    return sa.cast(sa.func.julianday(sa.func.date(end_timestamp))
                   - sa.func.julianday(start_date), sa.Integer)


# --- the SELECTs that count (fill the table, and count partial months) ---------------

_COLUMNS = ("kind", "month", "outcome", "ref_id", "ref2_id", "label", "n", "amount", "rated",
            "rating_sum", "weighted", "importance_sum")


def _row(kind: str, month: Any, *, ref_id: Any = None, ref2_id: Any = None,
         label: Any = None, n: Any = None, amount: Any = None, rated: Any = None,
         rating_sum: Any = None, weighted: Any = None, importance_sum: Any = None
         ) -> tuple[list[Any], list[Any]]:
    """(the rollup's columns, the GROUP BY keys) of one kind's SELECT."""
    def value(expr: Any, default: Any, type_: Any) -> Any:
        # A typed NULL or 0 (PostgreSQL would type a bare NULL parameter as text).
        if expr is not None:
            return expr
        return sa.cast(sa.null() if default is None else sa.literal_column(str(default)), type_)
    keys = [month, Deal.outcome] + [k for k in (ref_id, ref2_id, label) if k is not None]
    columns = [
        sa.literal(kind, sa.String).label("kind"), month.label("month"),
        Deal.outcome.label("outcome"),
        value(ref_id, None, sa.Integer).label("ref_id"),
        value(ref2_id, None, sa.Integer).label("ref2_id"),
        value(label, None, sa.String).label("label"),
        (n if n is not None else sa.func.count()).label("n"),
        value(amount, None, sa.Numeric(18, 2)).label("amount"),
        value(rated, 0, sa.Integer).label("rated"),
        value(rating_sum, 0, sa.Integer).label("rating_sum"),
        value(weighted, 0, sa.Integer).label("weighted"),
        value(importance_sum, 0, sa.Integer).label("importance_sum"),
    ]
    return columns, keys


def source_rows(dialect: str, kind: str, conditions: list[Any]) -> Any:
    """The SELECT of one kind's rollup rows from the deals and interviews, over the
    closed deals that meet `conditions` (per month of closing)."""
    month = month_column(dialect, Deal.closed_on)
    where = [*closed_in_period(), *conditions]
    completed = WinLossInterview.status == "completed"
    if kind in ("segment", "product", "owner"):
        columns, keys = _row(kind, month, amount=sa.func.sum(Deal.amount), **{
            "segment": {"label": Account.segment},
            "product": {"label": Deal.product},
            "owner": {"ref_id": Deal.owner_id, "label": Deal.owner_name},
        }[kind])
        query = sa.select(*columns).select_from(Deal)
        if kind == "segment":
            query = query.join(Account, Account.id == Deal.account_id, isouter=True)
    elif kind == "competitor":
        columns, keys = _row(kind, month, ref_id=DealCompetitor.competitor_id,
                             amount=sa.func.sum(Deal.amount))
        query = sa.select(*columns).select_from(Deal).join(
            DealCompetitor, DealCompetitor.deal_id == Deal.id, isouter=True)
    elif kind == "rep_reason":
        columns, keys = _row(kind, month, ref_id=Deal.rep_reason_id)
        query = sa.select(*columns).select_from(Deal)
        where.append(Deal.rep_reason_id.is_not(None))
    elif kind == "interviews":
        columns, keys = _row(kind, month, label=WinLossInterview.status,
                             ref_id=WinLossInterview.primary_reason_id,
                             ref2_id=Deal.rep_reason_id)
        query = sa.select(*columns).select_from(WinLossInterview).join(
            Deal, Deal.id == WinLossInterview.deal_id)
    elif kind == "factor":
        columns, keys = _row(
            kind, month, ref_id=FactorRating.factor_id, label=FactorRating.effect,
            rated=sa.func.count(FactorRating.rating),
            rating_sum=sa.func.coalesce(sa.func.sum(FactorRating.rating), 0),
            weighted=sa.func.count(FactorRating.importance),
            importance_sum=sa.func.coalesce(sa.func.sum(FactorRating.importance), 0))
        query = (sa.select(*columns).select_from(FactorRating)
                 .join(WinLossInterview, WinLossInterview.id == FactorRating.interview_id)
                 .join(Deal, Deal.id == WinLossInterview.deal_id))
        where.append(completed)
    elif kind == "days":
        days = days_between(dialect, Deal.closed_on, WinLossInterview.completed_at)
        columns, keys = _row(kind, month, ref_id=days)
        query = sa.select(*columns).select_from(WinLossInterview).join(
            Deal, Deal.id == WinLossInterview.deal_id)
        where += days_counted()
    elif kind in ("compared", "disagreeing"):
        # Deals, not interviews: a deal may have several completed interviews.
        columns, keys = _row(kind, month, n=sa.func.count(sa.distinct(Deal.id)))
        query = sa.select(*columns).select_from(WinLossInterview).join(
            Deal, Deal.id == WinLossInterview.deal_id)
        where += reasons_compared(disagreeing=kind == "disagreeing")
    else:
        raise ValueError(f"no rollup kind {kind!r}")
    return query.where(*where).group_by(*keys)


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A period as the rollup's whole months plus partial months read from the deals."""

    whole: tuple[date | None, date | None] | None  # (first month, last month), None: none
    edges: tuple[tuple[date | None, date | None], ...]


def split_period(since: date | None, until: date | None) -> Split:
    """The whole months of [since, until] (either end open) and the days left over."""
    if since is None and until is None:
        return Split((None, None), ())
    if since is not None and until is not None and (
            since > until or month_of(since) == month_of(until)):
        if since.day == 1 and until == _month_end(until):
            return Split((since, since), ())
        return Split(None, ((since, until),))
    edges: list[tuple[date | None, date | None]] = []
    first = last = None
    if since is not None:
        first = since if since.day == 1 else _next_month(month_of(since))
        if since.day != 1:
            edges.append((since, _month_end(since)))
    if until is not None:
        last = month_of(until)
        if until != _month_end(until):
            edges.append((last, until))
            last = month_of(last - timedelta(days=1))
    if first is not None and last is not None and first > last:
        return Split(None, tuple(edges))
    return Split((first, last), tuple(edges))


def rows(session: Session, kind: str, since: date | None = None,
         until: date | None = None) -> Any:
    """A subquery of one kind's rollup rows for deals closed in [since, until]: the
    table's whole months and, for partial months, the same counts from the deals.
    Columns as the table's (`kind`, `month`, `outcome`, `ref_id`, …, `importance_sum`);
    a group may have several rows (one per month): callers add them up."""
    settle(session)
    split = split_period(since, until)
    dialect = session.get_bind().dialect.name
    parts: list[Any] = []
    if split.whole is not None:
        first, last = split.whole
        table = DealRollup.__table__.c
        where = [table.kind == kind]
        if first is not None:
            where.append(table.month >= first)
        if last is not None:
            where.append(table.month <= last)
        parts.append(sa.select(*(table[c] for c in _COLUMNS)).where(*where))
    for low, high in split.edges:
        parts.append(source_rows(dialect, kind, closed_in_period(low, high)[1:]))
    if not parts:  # pragma: no cover - split_period always gives a part
        parts.append(source_rows(dialect, kind, [sa.false()]))
    query = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return query.subquery(f"rollup_{kind}")


# --- keeping it current ---------------------------------------------------------------


# What a recount covers: {month (None: no close date): the outcomes to count again in
# it, None for all of them}.
Scope = dict[date | None, "frozenset[str] | None"]


@dataclass
class _Pending:
    # (month, outcome) groups a deal written through the ORM was or is in.
    groups: set[tuple[date | None, str]]
    # Deals whose other rows (competitors, interviews, ratings) changed: their groups now.
    related: set[int]
    # Deals a bulk statement named (their old values unknown): their months, whole.
    deal_ids: set[int]
    interview_ids: set[int]
    account_ids: set[int]
    everything: bool = False


def _pending(session: OrmSession) -> _Pending:
    found = session.info.get(_PENDING)
    if found is None:
        found = session.info[_PENDING] = _Pending(set(), set(), set(), set(), set())
    return found  # type: ignore[no-any-return]


def _history(obj: Any, name: str) -> list[Any]:
    """Every value the attribute had or has in this flush (old and new)."""
    history = sa.inspect(obj).attrs[name].history
    return [*history.deleted, *history.unchanged, *history.added]


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: OrmSession, _context: Any) -> None:
    # new/dirty/deleted and the attributes' history still hold the flushed changes here.
    for obj in (*session.new, *session.dirty, *session.deleted):
        changed = obj in session.new or obj in session.deleted
        if isinstance(obj, Deal):
            if changed or _changed(obj, _DEAL_FIELDS):
                # Every (month, outcome) the deal was in or is in: a move touches both.
                _pending(session).groups.update(
                    (None if d is None else month_of(d), outcome)
                    for d in _history(obj, "closed_on")
                    for outcome in _history(obj, "outcome"))
        elif isinstance(obj, DealCompetitor):
            if changed or _changed(obj, ("deal_id", "competitor_id")):
                _pending(session).related.update(_history(obj, "deal_id"))
        elif isinstance(obj, WinLossInterview):
            if changed or _changed(obj, _INTERVIEW_FIELDS):
                _pending(session).related.update(_history(obj, "deal_id"))
        elif isinstance(obj, FactorRating):
            if changed or _changed(obj, ("interview_id", "factor_id", "rating", "importance",
                                         "effect")):
                _pending(session).interview_ids.update(_history(obj, "interview_id"))
        elif isinstance(obj, Account) and not changed and _changed(obj, ("segment",)):
            _pending(session).account_ids.add(obj.id)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table not in _SOURCE_TABLES and not (table == "account" and state.is_update):
        return
    options = state.execution_options
    if ROLLUP_DEALS in options or ROLLUP_INTERVIEWS in options:
        pending = _pending(state.session)
        pending.deal_ids.update(options.get(ROLLUP_DEALS, ()))
        pending.interview_ids.update(options.get(ROLLUP_INTERVIEWS, ()))
    else:
        _pending(state.session).everything = True


def _scope_of(session: Session, pending: _Pending) -> Scope | None:
    """The months, and in each the outcomes, to count again (None: all of them)."""
    if pending.everything:
        return None
    dialect = session.get_bind().dialect.name
    month = month_column(dialect, Deal.closed_on)
    groups = set(pending.groups)
    related = set(pending.related)
    if pending.interview_ids:
        related.update(session.execute(sa.select(WinLossInterview.deal_id).where(
            WinLossInterview.id.in_(pending.interview_ids))).scalars())
    # A change to a deal's competitors, interviews or ratings, or to its account's
    # segment, leaves its month and outcome: only its group now is counted again.
    found: list[Any] = []
    if related:
        found += session.execute(sa.select(month, Deal.outcome).distinct().where(
            Deal.id.in_(related), *closed_in_period())).all()
    if pending.account_ids:
        found += session.execute(sa.select(month, Deal.outcome).distinct().where(
            Deal.account_id.in_(pending.account_ids), *closed_in_period())).all()
    groups.update((as_date(m), outcome) for m, outcome in found)
    scope: Scope = {}
    for m, outcome in groups:
        if outcome in CLOSED_OUTCOMES:
            scope[m] = frozenset({*(scope.get(m) or ()), outcome})
    if pending.deal_ids:
        # A bulk statement may have changed the deals' outcomes: their whole months.
        scope.update(dict.fromkeys(
            (as_date(m) for m in session.execute(sa.select(month).distinct().where(
                Deal.id.in_(pending.deal_ids))).scalars()), None))
    return None if len(scope) > _MAX_MONTHS else scope


def as_date(value: Any) -> date | None:
    """A date from a month column (SQLite may give it as text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def settle(session: Session) -> None:
    """Count again the months this transaction's writes touched (a no-op when none).

    Runs before every commit, and before a figure is read in a transaction that wrote.
    """
    pending: _Pending | None = db.take_noted(session, _PENDING)
    if pending is None:
        return
    scope = _scope_of(session, pending)
    if scope is None:
        rebuild(session.connection())
    elif scope:
        recount(session.connection(), scope)


def _lock(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))


def rebuild(connection: sa.Connection, months: set[date | None] | None = None) -> None:
    """Count the rollup again from the deals: every month (None), or the given ones
    (None in the set: closed deals without a close date). Every month: set-based, one
    DELETE and one INSERT … SELECT per kind; imports' unattributable statements,
    `seed-demo` and the bench's generator call it once after their bulk writes."""
    if months is not None:
        recount(connection, dict.fromkeys(months))
        return
    dialect = connection.dialect.name
    _lock(connection)
    table = DealRollup.__table__
    connection.execute(sa.delete(table))
    for kind in KINDS:
        connection.execute(sa.insert(table).from_select(
            list(_COLUMNS), source_rows(dialect, kind, [])))


_KEY = ("kind", "month", "outcome", "ref_id", "ref2_id", "label")
_MEASURES = _COLUMNS[len(_KEY):]


def _keyed(rows: Any) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """{key: measures} of rollup rows (in `_COLUMNS` order), alike whichever side (the
    table, a recount) gave them: months as dates (SQLite gives a recount's as text)."""
    found = {}
    for row in rows:
        found[(row[0], as_date(row[1]), *row[2:6])] = tuple(row[6:])
    return found


def recount(connection: sa.Connection, scope: Scope) -> None:
    """Count again the groups of `scope` (some outcomes of some months, None: all of a
    month's) from their deals, and write only the rollup rows whose counts changed: a
    deal moving from won to lost rewrites the few rows of its groups in its old and new
    outcome, not the thousand rows of its month (what a write pays on PostgreSQL as
    dead rows, too)."""
    if not scope:
        return
    dialect = connection.dialect.name
    _lock(connection)
    table = DealRollup.__table__
    deals: list[Any] = []
    kept: list[Any] = []
    for m, outcomes in scope.items():
        deal = (Deal.closed_on.is_(None) if m is None
                else sa.and_(Deal.closed_on >= m, Deal.closed_on < _next_month(m)))
        row = table.c.month.is_(None) if m is None else table.c.month == m
        if outcomes is not None:
            deal = sa.and_(deal, Deal.outcome.in_(sorted(outcomes)))
            row = sa.and_(row, table.c.outcome.in_(sorted(outcomes)))
        deals.append(deal)
        kept.append(row)
    found = connection.execute(sa.select(*(table.c[c] for c in _COLUMNS), table.c.id)
                               .where(sa.or_(*kept))).all()
    old = _keyed(row[:-1] for row in found)
    ids = dict(zip(old, (row[-1] for row in found), strict=True))
    new: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for kind in KINDS:
        new.update(_keyed(connection.execute(source_rows(dialect, kind, [sa.or_(*deals)]))))
    gone = [ids[key] for key in old.keys() - new.keys()]
    moved = [{"row_id": ids[key], **dict(zip(_MEASURES, measures, strict=True))}
             for key, measures in new.items() if key in old and old[key] != measures]
    added = [dict(zip(_COLUMNS, (*key, *measures), strict=True))
             for key, measures in new.items() if key not in old]
    if gone:
        connection.execute(sa.delete(table).where(table.c.id.in_(gone)))
    if moved:
        connection.execute(sa.update(table).where(table.c.id == sa.bindparam("row_id")),
                           moved)
    if added:
        connection.execute(sa.insert(table), added)


def install() -> None:
    """Make every Session keep the rollup (called once by the app factory)."""
    db.keep_per_transaction(_PENDING, after_flush=_after_flush, on_execute=_on_execute,
                            settle=settle)
