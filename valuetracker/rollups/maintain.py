"""Keeping the rollups current in the writer's own transaction.

Registered on every Session (as the data version in `valuetracker.cache` is): after each
flush, the accounts whose value entries or pulses were added, changed or deleted, or
whose segment changed, get their rollup rows recomputed (`build.refresh_accounts`), so
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

from ..models import Account, LoyaltyPulse, ValueEntry
from .build import KIND_NAMES, rebuild_all, refresh_accounts

_PENDING = "valuetracker.rollups_pending"
_FULL = "valuetracker.rollups_full"
_SOURCES = (ValueEntry, LoyaltyPulse)
_SOURCE_TABLES = frozenset({"value_entry", "loyalty_pulse"})


def _old_and_new(obj: Any, attribute: str) -> set[Any]:
    """The attribute's value now and, if this flush changed it, before."""
    history = sa.inspect(obj).attrs[attribute].history
    return {getattr(obj, attribute), *history.deleted}


# Which rollups a changed row moves: a value entry no ranking, a pulse no value.
_KIND_OF = {ValueEntry: "value", LoyaltyPulse: "drift"}
_TABLE_KIND = {"value_entry": "value", "loyalty_pulse": "drift"}


def _touched(session: OrmSession) -> dict[str, set[int]]:
    """{rollup kind: ids of the accounts this flush changed for it}."""
    ids: dict[str, set[Any]] = {kind: set() for kind in KIND_NAMES}
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, _SOURCES):
            ids[_KIND_OF[type(obj)]] |= _old_and_new(obj, "account_id")
        elif isinstance(obj, Account) and obj in session.deleted:
            for kind in KIND_NAMES:
                ids[kind].add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, _SOURCES) and session.is_modified(obj):
            ids[_KIND_OF[type(obj)]] |= _old_and_new(obj, "account_id")
        elif isinstance(obj, Account) and sa.inspect(obj).attrs.segment.history.has_changes():
            for kind in KIND_NAMES:
                ids[kind].add(obj.id)
    return {kind: {i for i in found if i is not None} for kind, found in ids.items() if found}


def _add_pending(session: OrmSession, touched: dict[str, set[int]]) -> None:
    pending = session.info.setdefault(_PENDING, {})
    for kind, ids in touched.items():
        pending.setdefault(kind, set()).update(ids)


def _refresh(session: OrmSession, pending: dict[str, set[int]]) -> None:
    for kind, ids in pending.items():
        refresh_accounts(session.connection(), ids, kinds=(kind,))


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
            _add_pending(state.session, {_TABLE_KIND[name]: accounts})
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
    for event, listener in _LISTENERS:
        if not sa.event.contains(OrmSession, event, listener):
            sa.event.listen(OrmSession, event, listener)
    from . import coverage  # the coverage counts per account, kept the same way

    coverage.install()
