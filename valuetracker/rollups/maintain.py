"""Keeping the rollups current in the writer's own transaction.

Registered on every Session (as the data version in `valuetracker.cache` is): after each
flush, the rollup rows of the months whose value entries or pulses were added, changed
or deleted (of those accounts only), and every row of the accounts whose segment changed,
are recomputed (`build.refresh`), so
the rollups commit or roll back with the write, whatever path made it (a form, the API,
the CLI, a stakeholder's link). A bulk INSERT of source rows (the imports' batches)
has its accounts refreshed before the commit, set-based (all of them rebuilt when it
names more than `build.REFRESH_LIMIT`); a bulk UPDATE or DELETE on those tables names no
single account, so the rollups are then rebuilt whole before the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from .. import db
from ..models import Account, LoyaltyPulse, ValueEntry
from .build import KIND_NAMES, first_of_month, rebuild_all, refresh

_PENDING = "valuetracker.rollups_pending"
_FULL = "valuetracker.rollups_full"
_SOURCES = (ValueEntry, LoyaltyPulse)
_SOURCE_TABLES = frozenset({"value_entry", "loyalty_pulse"})


def _old_and_new(obj: Any, attribute: str) -> set[Any]:
    """The attribute's value now and, if this flush changed it, before."""
    history = sa.inspect(obj).attrs[attribute].history
    return {getattr(obj, attribute), *history.deleted}


# Which rollups a changed row moves, and the date that puts it in a month: a value
# entry moves no ranking, a pulse no value.
_KIND_OF = {ValueEntry: ("value", "delivered_on"), LoyaltyPulse: ("drift", "taken_on")}
_TABLE_KIND = {"value_entry": "value", "loyalty_pulse": "drift"}

# {rollup kind: {account id: the months to recompute, None for all of them}}
Pending = dict[str, dict[int, "set[Any] | None"]]


def _touched(session: OrmSession) -> Pending:
    """What this flush changed: the months of the source rows it wrote (before and
    after), every month of the accounts deleted or moved to another segment."""
    touched: Pending = {}

    def add(kind: str, accounts: set[Any], months: set[Any] | None) -> None:
        found = touched.setdefault(kind, {})
        for account in accounts - {None}:
            if months is None or None in months:
                found[account] = None
            elif account not in found or found[account] is not None:
                found.setdefault(account, set()).update(months)

    def add_source(obj: Any) -> None:
        kind, day = _KIND_OF[type(obj)]
        add(kind, _old_and_new(obj, "account_id"),
            {first_of_month(d) for d in _old_and_new(obj, day)})

    for obj in (*session.new, *session.deleted):
        if isinstance(obj, _SOURCES):
            add_source(obj)
        elif isinstance(obj, Account) and obj in session.deleted:
            for kind in KIND_NAMES:
                add(kind, {obj.id}, None)
    for obj in session.dirty:
        if isinstance(obj, _SOURCES) and session.is_modified(obj):
            add_source(obj)
        elif isinstance(obj, Account) and sa.inspect(obj).attrs.segment.history.has_changes():
            for kind in KIND_NAMES:
                add(kind, {obj.id}, None)
    return {kind: found for kind, found in touched.items() if found}


def _add_pending(session: OrmSession, touched: Pending) -> None:
    pending: Pending = session.info.setdefault(_PENDING, {})
    for kind, scope in touched.items():
        mine = pending.setdefault(kind, {})
        for account, months in scope.items():
            if months is None:
                mine[account] = None
            elif account not in mine or mine[account] is not None:
                mine.setdefault(account, set()).update(months)


def _refresh(session: OrmSession, pending: Pending) -> None:
    for kind, scope in pending.items():
        refresh(session.connection(), {
            account: None if months is None else frozenset(months)
            for account, months in scope.items()}, kinds=(kind,))


def _after_flush(session: OrmSession, _context: Any) -> None:
    touched = _touched(session)
    if touched:
        _add_pending(session, touched)


def _after_flush_postexec(session: OrmSession, _context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending and not session.info.get(_FULL):
        _refresh(session, pending)


def _inserted_accounts(state: ORMExecuteState) -> set[int] | None:
    """The accounts a bulk INSERT of source rows names in its parameters (the imports'
    batches do), or None when they cannot be told."""
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    if not rows or not all(isinstance(r, dict) and r.get("account_id") for r in rows):
        return None
    return {int(r["account_id"]) for r in rows}


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name in _SOURCE_TABLES and state.is_insert:
        accounts = _inserted_accounts(state)
        if accounts is not None:
            # Refreshed before the commit (a bulk statement is no flush).
            _add_pending(state.session, {_TABLE_KIND[name]: dict.fromkeys(accounts)})
            return
    # New accounts have nothing to roll up; any other bulk change may move figures.
    if name in _SOURCE_TABLES or (name == "account" and not state.is_insert):
        state.session.info[_FULL] = True


def _before_commit(session: OrmSession) -> None:
    session.flush()
    if session.info.pop(_FULL, None):
        session.info.pop(_PENDING, None)
        rebuild_all(session.connection())
    elif pending := session.info.pop(_PENDING, None):
        _refresh(session, pending)


def _forget(session: OrmSession, *_args: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_FULL, None)


_LISTENERS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("after_flush", _after_flush),
    ("after_flush_postexec", _after_flush_postexec),
    ("do_orm_execute", _on_execute),
    ("before_commit", _before_commit),
    ("after_rollback", _forget),
    ("after_soft_rollback", _forget),
)


def install() -> None:
    """Make every Session keep the rollups current (idempotent)."""
    db.listen_on_sessions(_LISTENERS)
    from . import coverage  # the coverage counts per account, kept the same way

    coverage.install()
