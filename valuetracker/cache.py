"""Costly figures kept until the data changes.

Portfolio-wide pages aggregate everything (at scale, hundreds of thousands of value
entries and tens of thousands of deals). Their figures are kept in a small cache per
process, keyed by the *data version*: a counter in the one-row `data_version` table that
every transaction writing domain data bumps, from ORM listeners registered for every
Session (unit-of-work flushes and bulk INSERT/UPDATE/DELETE statements alike). So a
cached figure is never served once a change has committed, whichever process or node
made it; a page whose data did not change pays one primary-key lookup instead of the
aggregates. Writes to bookkeeping tables (audit trail, jobs, links, sessions' own
version row) do not count as data changes.

A figure that reads only a few tables can be keyed by *their* versions instead
(`cached(..., tables=...)`): the tables of `TABLE_VERSIONS` have a row of their own in
`data_version`, bumped with the global one by the same listeners, so a value entry
logged on one account does not throw away the portfolio's margin tiers or health list,
which read no value entries.

A figure of one account can be keyed by *that account's* version instead
(`cached(..., account=X)`): the same listeners count, per account, the transactions that
wrote one of its rows (the account itself, a row with its `account_id`, a confirmation
or beneficiary of one of its value entries) in the `data_version` row with id `-X`, and
in row 0 those that wrote such rows without telling whose (a bulk statement on a table
with an `account_id` or `entry_id` column). So a value entry logged on one account leaves
every other account's panels valid; a figure keyed this way must read no other rows
than the account's own and those of its `tables`.

Cached values are shared between requests: callers treat them as read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from . import db
from .models import Account, DataVersion, ValueEntry

T = TypeVar("T")

# Tables whose writes do not change any figure a page caches.
IGNORED_TABLES = frozenset({"audit_event", "job", "access_link", "data_version"})
EXTENSION = "valuetracker.figure_cache"
_BUMPED = "valuetracker.data_version_bumped"
_VERSION = "valuetracker.data_version_seen"
_TABLES_BUMPED = "valuetracker.table_versions_bumped"

# Tables whose writes are counted on their own, by their row's id in `data_version`
# (id 1 counts every change). Append new ones at the end, with a new id.
TABLE_VERSIONS: dict[str, int] = {"account": 2, "account_member": 3, "signal": 4,
                                  "setting": 5, "user": 6, "stakeholder": 7,
                                  "distribution": 8, "value_summary": 9, "deal": 10,
                                  "deal_competitor": 11, "winloss_interview": 12,
                                  "factor_rating": 13, "competitor": 14,
                                  "decision_factor": 15, "saved_view": 16,
                                  "notification": 17}
# Row 0 counts writes to some account's rows whose account the listeners cannot tell;
# row -X counts writes to account X's rows.
SOME_ACCOUNT = 0
_ACCOUNTS_BUMPED = "valuetracker.account_versions_bumped"
_ACCOUNTS_SEEN = "valuetracker.account_versions_seen"


def _versions(session: Session) -> dict[int, int]:
    """The global version and each table's ({row id: version}) this transaction sees,
    read in one statement once per transaction: a page with panels keyed by the global
    version and by tables pays one lookup."""
    versions: dict[int, int] | None = session.info.get(_VERSION)
    if versions is None:
        ids = (1, *TABLE_VERSIONS.values())
        versions = {int(i): int(v) for i, v in session.exec(
            select(DataVersion.id, DataVersion.version).where(DataVersion.id.in_(ids))).all()}
        session.info[_VERSION] = versions
    return versions


def current_version(session: Session) -> int:
    """The committed data version this session sees (0 before the first change)."""
    return _versions(session).get(1, 0)


def _bump(connection: Any, row_id: int) -> None:
    table = DataVersion.__table__
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(id=row_id, version=1).on_conflict_do_update(
        index_elements=[table.c.id], set_={"version": table.c.version + 1})
    connection.execute(statement)


def mark_changed(session: OrmSession, tables: Iterable[str | None] = (),
                 accounts: Iterable[int] = ()) -> None:
    """Count this transaction as a data change (once per transaction), as a change of
    each of `tables` that has its own version (once per table) and of each of
    `accounts` (ids; SOME_ACCOUNT when whose is not known), once per account."""
    bumped: set[str] = session.info.setdefault(_TABLES_BUMPED, set())
    own = {t for t in tables if t in TABLE_VERSIONS and t not in bumped}
    accounts_bumped: set[int] = session.info.setdefault(_ACCOUNTS_BUMPED, set())
    mine = set(accounts) - accounts_bumped
    if session.info.get(_BUMPED) and not own and not mine:
        return
    connection = session.connection()
    if not session.info.get(_BUMPED):
        _bump(connection, 1)
        session.info[_BUMPED] = True
    for name in sorted(own):
        _bump(connection, TABLE_VERSIONS[name])
    for account_id in sorted(mine):
        _bump(connection, -account_id)
    bumped |= own
    accounts_bumped |= mine
    session.info.pop(_VERSION, None)
    session.info.pop(_ACCOUNTS_SEEN, None)


def tables_version(session: Session, tables: Iterable[str]) -> tuple[int, ...]:
    """The committed versions of `tables` (each in TABLE_VERSIONS) this session sees,
    read once per transaction."""
    found = _versions(session)
    return tuple(found.get(i, 0) for i in sorted(TABLE_VERSIONS[t] for t in frozenset(tables)))


def account_versions(session: Session, account_id: int) -> tuple[int, int]:
    """(row 0's, account `account_id`'s) committed versions this session sees, read once
    per transaction and account."""
    seen: dict[int, tuple[int, int]] = session.info.setdefault(_ACCOUNTS_SEEN, {})
    if account_id not in seen:
        found = dict(session.exec(select(DataVersion.id, DataVersion.version).where(
            DataVersion.id.in_((SOME_ACCOUNT, -account_id)))).all())
        seen[account_id] = (int(found.get(SOME_ACCOUNT, 0)), int(found.get(-account_id, 0)))
    return seen[account_id]


def _table_name(obj: Any) -> str | None:
    table = getattr(type(obj), "__table__", None)
    return getattr(table, "name", None)


def _old_and_new(obj: Any, attribute: str) -> set[Any] | None:
    """The attribute's value now and, if this flush changed it, before (None when it is
    not loaded: reading it now could fail, on a deleted row)."""
    state = sa.inspect(obj)
    if attribute in state.unloaded:
        return None
    history = state.attrs[attribute].history
    return {*history.added, *history.unchanged, *history.deleted} - {None}


def _accounts_of(session: OrmSession, changed: list[Any]) -> set[int]:
    """The accounts whose rows `changed` holds: accounts, rows with an `account_id`
    (before and after a move), rows of a value entry (`entry_id`), looked up by the
    entry (SOME_ACCOUNT when the entry is gone)."""
    accounts: set[int] = set()
    entry_ids: set[int] = set()
    for obj in changed:
        attribute = ("id" if isinstance(obj, Account) else "account_id"
                     if hasattr(obj, "account_id") else "entry_id"
                     if hasattr(obj, "entry_id") else None)
        if attribute is None:
            continue
        found = _old_and_new(obj, attribute)
        if found is None:
            accounts.add(SOME_ACCOUNT)
        else:
            (entry_ids if attribute == "entry_id" else accounts).update(found)
    if entry_ids:
        loaded = [sa.inspect(e).dict for e in changed if isinstance(e, ValueEntry)]
        known = {d["id"]: d["account_id"] for d in loaded if "id" in d and "account_id" in d}
        missing = entry_ids - set(known)
        if missing:
            known.update(session.connection().execute(
                sa.select(ValueEntry.id, ValueEntry.account_id)
                .where(ValueEntry.id.in_(missing))).all())
        accounts |= {known[e] for e in entry_ids if e in known}
        if entry_ids - set(known):
            accounts.add(SOME_ACCOUNT)
    return accounts


def _after_flush(session: OrmSession, _context: Any) -> None:
    # new/dirty/deleted still hold the flushed objects here (SQLAlchemy documents it);
    # `dirty` may hold objects whose attributes were set to the values they had.
    changed = [obj for obj in (*session.new, *session.deleted,
                               *(o for o in session.dirty if session.is_modified(o)))
               if _table_name(obj) not in (None, *IGNORED_TABLES)]
    if changed:
        mark_changed(session, {_table_name(obj) for obj in changed},
                     _accounts_of(session, changed))


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if table is not None and name not in IGNORED_TABLES:
        # A bulk statement does not say whose rows it wrote.
        some = name == "account" or "account_id" in table.c or "entry_id" in table.c
        mark_changed(state.session, (name,), (SOME_ACCOUNT,) if some else ())


def _end_of_transaction(session: OrmSession, *_args: Any) -> None:
    session.info.pop(_BUMPED, None)
    session.info.pop(_TABLES_BUMPED, None)
    session.info.pop(_ACCOUNTS_BUMPED, None)


def _forget_version(session: OrmSession, _transaction: Any) -> None:
    # Any transaction's end, close() included: the next one may see a newer version.
    session.info.pop(_VERSION, None)
    session.info.pop(_ACCOUNTS_SEEN, None)


_LISTENERS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("after_flush", _after_flush),
    ("do_orm_execute", _on_execute),
    ("after_commit", _end_of_transaction),
    ("after_rollback", _end_of_transaction),
    ("after_soft_rollback", _end_of_transaction),
    ("after_transaction_end", _forget_version),
)


class FigureCache:
    """Least-recently-used maps, one per kind of figure, safe to share between threads.

    One map per name, each holding up to `size` entries: browsing many account pages
    never pushes out the portfolio's costlier figures.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._maps: dict[str, OrderedDict[Hashable, Any]] = {}
        self._lock = threading.Lock()

    def get(self, name: str, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            items = self._maps.get(name)
            if items is None or key not in items:
                return False, None
            items.move_to_end(key)
            return True, items[key]

    def put(self, name: str, key: Hashable, value: Any) -> None:
        with self._lock:
            items = self._maps.setdefault(name, OrderedDict())
            items[key] = value
            items.move_to_end(key)
            while len(items) > self.size:
                items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._maps.clear()


def cached(session: Session, name: str, key: Hashable, compute: Callable[[], T], *,
           tables: Iterable[str] | None = None, account: int | None = None) -> T:
    """`compute()`'s result, reused while the data version is unchanged (with `tables`,
    all in TABLE_VERSIONS: while those tables' versions are; the figure must read no
    other table. With `account`: while that account's version and those of `tables`,
    if any, are; the figure must read only that account's rows and `tables`).

    `key` must hold everything the result depends on besides the data (the user's scope,
    filters, today's date). With `FIGURE_CACHE_SIZE` = 0 nothing is kept, and neither
    is anything a transaction that wrote computes: it may yet be rolled back.
    """
    store: FigureCache | None = current_app.extensions.get(EXTENSION)
    if store is None or store.size <= 0:
        return compute()
    # Either read may autoflush pending changes, and so bump.
    version: Hashable
    if account is not None:
        version = ("account", account_versions(session, account),
                   tables_version(session, tables) if tables else ())
    elif tables is not None:
        version = ("tables", tables_version(session, tables))
    else:
        version = current_version(session)
    if session.info.get(_BUMPED):
        return compute()
    full_key = (version, key)
    found, value = store.get(name, full_key)
    if found:
        return value  # type: ignore[no-any-return]
    value = compute()
    if not session.info.get(_BUMPED):
        store.put(name, full_key, value)
    return value


def init_app(app: Flask) -> None:
    """Give the app its cache and make every Session count data changes."""
    app.extensions[EXTENSION] = FigureCache(int(app.config.get("FIGURE_CACHE_SIZE", 256)))
    db.listen_on_sessions(_LISTENERS)
