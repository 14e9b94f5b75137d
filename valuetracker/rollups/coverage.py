"""Counts for the summaries' coverage per account, kept in the writer's transaction.

The coverage figure (`summaries.coverage.portfolio_coverage`) and the accounts left out
of the send (`summaries.scope.excluded_accounts_query`) read two small tables instead of
every stakeholder and sending:

- `account_coverage_rollup`: per account, its key stakeholders not erased
  (`key_people`, the coverage lists) and those of them we may e-mail (`reachable`: in
  the quarter's send when the account is active, `scope.in_send_condition`);
- `account_sent_rollup`: per account and quarter, how many reachable key stakeholders
  were sent that quarter's summary (a `sent` sending of their `stakeholder` summary).

The account's status is read from the account at query time, so a status change moves
nothing here. Keeping it current, as `maintain.py` keeps the value rollups: every flush
notes the accounts whose stakeholders, summaries or sendings it changed (old and new
account, for a stakeholder who moved); a bulk statement on those tables names its rows
by its WHERE clause (looked up before it runs) or its parameters, and one that sets
only columns coverage does not read (a version, a recipient) names none. Before the
commit, or before a figure is read in the transaction (`settle`), those accounts' rows
are counted again from their stakeholders. A statement whose rows cannot be told
rebuilds everything once, set-based (`rebuild`), as imports, `seed-demo` and the bench's
data sets do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from .. import db
from ..models import (
    Account,
    AccountCoverageRollup,
    AccountSentRollup,
    Distribution,
    Stakeholder,
    ValueSummary,
)

_PENDING = "valuetracker.coverage_rollup_pending"
# More accounts than this in one refresh: rebuilding everything set-based is cheaper.
REFRESH_LIMIT = 500
# The columns a count reads, per table: writes to any other column move nothing.
_READ = {
    "stakeholder": frozenset({"account_id", "is_key", "erased_at", "left_company_at",
                              "opted_out_at", "email"}),
    "value_summary": frozenset({"stakeholder_id", "quarter", "variant"}),
    "distribution": frozenset({"summary_id", "status"}),
}


def _listed() -> Any:
    """SQL: a key stakeholder not erased (in the coverage lists)."""
    return sa.and_(Stakeholder.is_key.is_(True), Stakeholder.erased_at.is_(None))


# --- reading: the figures join the accounts to these rows --------------------------------

PEOPLE = AccountCoverageRollup.__table__.c  # account_id, key_people, reachable
SENT = AccountSentRollup.__table__.c  # account_id, quarter, sent


def with_people(statement: Any) -> Any:
    """`statement` (over Account) joined to each account's `account_coverage_rollup` row,
    read as `PEOPLE` (an account without key stakeholders has none, and drops out)."""
    return statement.join(AccountCoverageRollup, PEOPLE.account_id == Account.id)


def with_sent(statement: Any, quarter: str) -> Any:
    """`statement` (over Account) outer-joined to the account's `account_sent_rollup` row
    of `quarter` (a label, "2026-Q3"), read as `SENT` (NULL: nobody was sent it)."""
    return statement.join(AccountSentRollup, sa.and_(SENT.account_id == Account.id,
                                                     SENT.quarter == quarter), isouter=True)


def _reachable() -> Any:
    """SQL: a key stakeholder we may e-mail (`in_send_condition` without the account)."""
    return sa.and_(Stakeholder.is_key.is_(True), Stakeholder.contactable_condition(by_email=True))


def people_source(account_ids: list[int] | None = None) -> Any:
    """SELECT of `account_coverage_rollup`'s rows from the stakeholders."""
    stmt = (sa.select(Stakeholder.account_id, sa.func.count().label("key_people"),
                      sa.func.coalesce(sa.func.sum(sa.case((_reachable(), 1), else_=0)), 0)
                      .label("reachable"))
            .where(_listed(), Stakeholder.account_id.is_not(None)))
    if account_ids is not None:
        stmt = stmt.where(Stakeholder.account_id.in_(account_ids))
    return stmt.group_by(Stakeholder.account_id)


def sent_source(account_ids: list[int] | None = None) -> Any:
    """SELECT of `account_sent_rollup`'s rows: reachable key stakeholders with a sent
    sending of the quarter's summary, each counted once."""
    sent = (sa.select(ValueSummary.stakeholder_id.label("stakeholder_id"),
                      ValueSummary.quarter.label("quarter"))
            .join(Distribution, Distribution.summary_id == ValueSummary.id)
            .where(ValueSummary.variant == "stakeholder",
                   ValueSummary.stakeholder_id.is_not(None), Distribution.status == "sent")
            .distinct().subquery("sent"))
    stmt = (sa.select(Stakeholder.account_id, sent.c.quarter, sa.func.count().label("sent"))
            .join(sent, sent.c.stakeholder_id == Stakeholder.id)
            .where(_reachable(), Stakeholder.account_id.is_not(None)))
    if account_ids is not None:
        stmt = stmt.where(Stakeholder.account_id.in_(account_ids))
    return stmt.group_by(Stakeholder.account_id, sent.c.quarter)


_TABLES: tuple[tuple[Any, Callable[..., Any], tuple[str, ...]], ...] = (
    (AccountCoverageRollup.__table__, people_source, ("account_id", "key_people", "reachable")),
    (AccountSentRollup.__table__, sent_source, ("account_id", "quarter", "sent")),
)


def rebuild(conn: sa.Connection) -> None:
    """Both tables from scratch, set-based (INSERT ... SELECT ... GROUP BY)."""
    for table, source, columns in _TABLES:
        conn.execute(table.delete())
        conn.execute(table.insert().from_select(list(columns), source()))


def refresh_accounts(conn: sa.Connection, account_ids: Iterable[int]) -> None:
    """Count the rows of `account_ids` again, inside the caller's transaction (on
    PostgreSQL the accounts' rows are locked first, so two writers take turns)."""
    ids = sorted({i for i in account_ids if i is not None})
    if not ids:
        return
    if len(ids) > REFRESH_LIMIT:
        rebuild(conn)
        return
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(Account.id).where(Account.id.in_(ids))
                     .order_by(Account.id).with_for_update())
    for table, source, columns in _TABLES:
        conn.execute(table.delete().where(table.c.account_id.in_(ids)))
        conn.execute(table.insert().from_select(list(columns), source(ids)))


# --- keeping it current ---------------------------------------------------------------


@dataclass
class _Pending:
    accounts: set[int] = field(default_factory=set)
    stakeholders: set[int] = field(default_factory=set)
    summaries: set[int] = field(default_factory=set)
    everything: bool = False


def _pending(session: OrmSession) -> _Pending:
    found = session.info.get(_PENDING)
    if found is None:
        found = session.info[_PENDING] = _Pending()
    return found  # type: ignore[no-any-return]


def _history(obj: Any, name: str) -> set[Any]:
    """Every value the attribute had or has in this flush (old and new)."""
    history = sa.inspect(obj).attrs[name].history
    return {getattr(obj, name), *history.deleted}


def _changed(obj: Any, table: str) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _READ[table])


def _after_flush(session: OrmSession, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        whole = obj in session.new or obj in session.deleted
        if isinstance(obj, Stakeholder):
            if whole or _changed(obj, "stakeholder"):
                _pending(session).accounts.update(_history(obj, "account_id"))
        elif isinstance(obj, ValueSummary):
            if whole or _changed(obj, "value_summary"):
                _pending(session).stakeholders.update(_history(obj, "stakeholder_id"))
        elif isinstance(obj, Distribution):
            if whole or _changed(obj, "distribution"):
                _pending(session).summaries.update(_history(obj, "summary_id"))
        elif isinstance(obj, Account) and obj in session.deleted:
            _pending(session).accounts.add(obj.id)


def _set_columns(state: ORMExecuteState) -> set[str] | None:
    """The columns an UPDATE sets (from its VALUES and its parameters), None: unknown."""
    statement = state.statement
    names: set[str] = set()
    for key in (getattr(statement, "_values", None) or {}):
        names.add(getattr(key, "key", None) or getattr(key, "name", None) or str(key))
    for key, _value in (getattr(statement, "_ordered_values", None) or ()):
        names.add(getattr(key, "key", None) or str(key))
    params = state.parameters
    for row in params if isinstance(params, list) else [params] if params else []:
        if not isinstance(row, dict):
            return None
        names.update(k for k in row if k != "id")  # an ORM bulk UPDATE by primary key
    return names


def _named_rows(state: ORMExecuteState, table: str) -> tuple[str, set[int]] | None:
    """(what the ids are, the ids) of the rows a bulk statement writes, or None."""
    statement = state.statement
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    key = {"stakeholder": "account_id", "value_summary": "stakeholder_id",
           "distribution": "summary_id"}[table]
    kind = {"stakeholder": "accounts", "value_summary": "stakeholders",
            "distribution": "summaries"}[table]
    if state.is_insert:
        if rows and all(isinstance(r, dict) and r.get(key) for r in rows):
            return kind, {int(r[key]) for r in rows}
        return None
    model = {"stakeholder": Stakeholder, "value_summary": ValueSummary,
             "distribution": Distribution}[table]
    where = getattr(statement, "whereclause", None)
    if rows and all(isinstance(r, dict) and r.get("id") for r in rows) and where is None:
        where = model.id.in_([r["id"] for r in rows])  # by primary key
    if where is None:
        return None
    # Before it runs: an UPDATE may change what its WHERE matches.
    found = state.session.execute(sa.select(getattr(model, key)).where(where)).scalars()
    ids = {int(i) for i in found if i is not None}
    if table == "stakeholder" and "account_id" in (_set_columns(state) or set()):
        return None  # moved to accounts the statement may not name
    return kind, ids


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table not in _READ:
        return
    if state.is_update:
        columns = _set_columns(state)
        if columns is not None and not columns & _READ[table]:
            return  # a version, a recipient, a job: nothing coverage counts
    named = _named_rows(state, table)
    pending = _pending(state.session)
    if named is None:
        pending.everything = True
    else:
        getattr(pending, named[0]).update(named[1])


def settle(session: OrmSession) -> None:
    """Count again the accounts this transaction's writes touched (a no-op when none).

    Runs before every commit, and before a coverage figure is read in the transaction."""
    pending: _Pending | None = db.take_noted(session, _PENDING)
    if pending is None:
        return
    conn = session.connection()
    if pending.everything:
        rebuild(conn)
        return
    accounts = set(pending.accounts)
    summaries = pending.summaries
    stakeholders = set(pending.stakeholders)
    if summaries:
        stakeholders.update(conn.execute(sa.select(ValueSummary.stakeholder_id).where(
            ValueSummary.id.in_(sorted(summaries)))).scalars())
    stakeholders.discard(None)
    if stakeholders:
        accounts.update(conn.execute(sa.select(Stakeholder.account_id).where(
            Stakeholder.id.in_(sorted(stakeholders)))).scalars())
    refresh_accounts(conn, accounts)


def install() -> None:
    """Make every Session keep the coverage rollup (idempotent)."""
    db.keep_per_transaction(_PENDING, after_flush=_after_flush, on_execute=_on_execute,
                            settle=settle)
