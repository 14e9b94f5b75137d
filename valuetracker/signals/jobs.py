"""When signals are refreshed: on the worker's schedule, and after writes.

- **On a schedule**: `valuetracker worker` runs `refresh_signals` over every account
  every SIGNALS_REFRESH_MINUTES minutes (default 60; 0 turns it off), a Huey periodic
  task registered here (listed in `jobs.TASK_MODULES`). Time alone changes signals
  (a commitment falls due, a link waits 14 days, a renewal comes near).
- **After writes**: ORM listeners note the accounts of the rows a transaction wrote
  (value entries, commitments, pulses, stakeholders, deals, links, summaries and their
  sendings, activities, the account itself) and, once it commits, enqueue one task that
  refreshes just those accounts (SIGNALS_REFRESH_AFTER_WRITES, default on). The
  write's own transaction pays nothing but noting ids; the refresh of one account is
  a few indexed queries.

Two refreshes at once may both open the same occurrence: the partial unique index
keeps one, and the loser's transaction is rolled back and tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from huey import crontab
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.util import identity_key

from ..db import session_scope

log = logging.getLogger(__name__)

PERIODIC_TASK = "signals_refresh"
ACCOUNTS_TASK = "signals_refresh_accounts"
# Tables whose rows carry an `account_id` that a signal reads.
WATCHED_TABLES = frozenset({"stakeholder", "value_entry", "value_commitment", "loyalty_pulse",
                            "deal", "access_link", "value_summary", "activity"})
_WRITTEN = "valuetracker.signals_written_accounts"


def refresh_minutes() -> int:
    return int(current_app.config.get("SIGNALS_REFRESH_MINUTES", 60))


def schedule(minutes: int) -> Callable[[Any], bool]:
    """A Huey schedule of every `minutes` minutes (whole hours above 59); never when 0."""
    if minutes <= 0:
        return lambda _moment: False
    if minutes < 60:
        return crontab(minute=f"*/{minutes}")
    return crontab(minute="0", hour=f"*/{max(1, minutes // 60)}")


def run_refresh(app: Flask, account_ids: Iterable[int] | None = None, *,
                attempts: int = 3) -> Any:
    """Refresh (all, or some accounts) in a session of its own and commit; a clash with
    another refresh opening the same signal is rolled back and tried again."""
    from .refresh import refresh_signals

    ids = None if account_ids is None else sorted(set(account_ids))
    for attempt in range(attempts):
        with app.app_context(), session_scope(app.extensions["valuetracker.engine"]) as session:
            try:
                result = refresh_signals(session, account_ids=ids)
                session.commit()
                return result
            except IntegrityError:
                session.rollback()
                if attempt == attempts - 1:
                    raise
    return None


def register_tasks(huey: Any, app: Flask) -> None:
    """The periodic refresh of every account, and the refresh of some accounts."""
    with app.app_context():
        minutes = refresh_minutes()

    @huey.periodic_task(schedule(minutes), name=PERIODIC_TASK, retries=0)
    def refresh_all() -> None:
        result = run_refresh(app)
        if result is not None and (result.opened or result.closed):
            log.info("signals: %d opened, %d cleared", len(result.opened), len(result.closed))

    @huey.task(name=ACCOUNTS_TASK, retries=1, retry_delay=5)
    def refresh_accounts(account_ids: list[int]) -> None:
        run_refresh(app, account_ids)

    huey.refresh_signals = refresh_all
    huey.refresh_signal_accounts = refresh_accounts


def recover(app: Flask, huey: Any, pending: Sequence[Any]) -> int:
    """Nothing to recover: a lost refresh is caught up by the next periodic one."""
    return 0


# --- after writes -------------------------------------------------------------------------


def _account_of(session: OrmSession, obj: Any) -> int | None:
    table = getattr(getattr(type(obj), "__table__", None), "name", None)
    if table == "account":
        return getattr(obj, "id", None)
    if table in WATCHED_TABLES:
        return getattr(obj, "account_id", None)
    if table == "distribution":  # a summary sent: the renewal's coverage may change
        from ..models import ValueSummary

        # Only a summary already in the session: no query in the middle of a flush.
        summary = session.identity_map.get(identity_key(ValueSummary, obj.summary_id))
        return getattr(summary, "account_id", None)
    return None


def _after_flush(session: OrmSession, _context: Any) -> None:
    ids = {_account_of(session, obj)
           for obj in (*session.new, *session.dirty, *session.deleted)}
    ids.discard(None)
    if ids:
        session.info.setdefault(_WRITTEN, set()).update(ids)


def _after_commit(session: OrmSession) -> None:
    ids = session.info.pop(_WRITTEN, None)
    if not ids or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("SIGNALS_REFRESH_AFTER_WRITES", True):
        return
    from ..jobs import get_huey

    try:
        get_huey(app).refresh_signal_accounts(sorted(ids))
    except Exception:  # the write is committed; the periodic refresh catches up
        log.exception("could not enqueue the signals refresh of accounts %s", sorted(ids))


def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_WRITTEN, None)


_LISTENERS = (("after_flush", _after_flush), ("after_commit", _after_commit),
              ("after_rollback", _after_rollback))


def init_app(app: Flask) -> None:
    """Install the after-write listeners (once per process, for every Session)."""
    for name, listener in _LISTENERS:
        if not sa.event.contains(OrmSession, name, listener):
            sa.event.listen(OrmSession, name, listener)


__all__ = ["init_app", "register_tasks", "run_refresh", "schedule"]
