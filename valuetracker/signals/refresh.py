"""Refreshing signals: open what became true, clear what no longer is.

`refresh_signals` asks every kind (registry.py) for what is true now over the accounts
asked about, in one set-based pass (a query or two per kind, whatever the number of
accounts), compares with the open signals (one query) and

- opens a new `Signal` for each occurrence not open yet (a recurrence after a clear is
  a new row: history is kept),
- clears (`cleared_at`) each open one that is no longer true,
- keeps the others open, refreshing their message and details,

then upserts this week's health snapshot of those accounts. Signals are derived rows:
the refresh records no audit event per signal (their history is the table itself) and
never commits; the CLI, the worker task and the views do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import events
from ..models import Signal, utcnow
from ..tasks.plays import PlayRun, run_plays
from . import kinds as _kinds  # noqa: F401 - registers the kinds
from .health import save_snapshots
from .registry import KINDS, Context, Fact, Kind


@dataclass
class Refresh:
    """What one refresh did: the signals it opened and the ones it cleared."""

    opened: list[Signal] = field(default_factory=list)
    closed: list[Signal] = field(default_factory=list)
    kept: int = 0
    plays: PlayRun = field(default_factory=PlayRun)  # the tasks the plays made and closed


def _start_month() -> int:
    from flask import current_app, has_app_context

    if has_app_context():
        return int(current_app.config.get("FISCAL_YEAR_START_MONTH", 1))
    return 1


def current_facts(session: Session, ctx: Context) -> list[tuple[Kind, Fact]]:
    """Every occurrence true now, kind by kind (those reading others' results last)."""
    found: list[tuple[Kind, Fact]] = []
    for k in KINDS.values():
        if not k.after:
            found.extend((k, f) for f in k.compute(session, ctx))
    for k in KINDS.values():
        if k.after:
            found.extend((k, f) for f in k.compute(session, ctx, found))
    return found


def refresh_signals(session: Session, *, account_ids: Iterable[int] | None = None,
                    today: date | None = None, now: datetime | None = None) -> Refresh:
    """Recompute the signals of these accounts (None: all) as of `today`; see the module.
    Flushes, never commits."""
    now = now or utcnow()
    today = today or now.date()
    ids = None if account_ids is None else tuple(sorted(set(account_ids)))
    result = Refresh()
    if ids == ():
        return result
    ctx = Context(today=today, now=now, account_ids=ids, start_month=_start_month())
    facts = {(f.account_id, k.name, f.key): (k, f) for k, f in current_facts(session, ctx)}

    query = select(Signal).where(Signal.cleared_at.is_(None))
    if ids is not None:
        query = query.where(Signal.account_id.in_(ids))
    open_now = {(s.account_id, s.kind, s.key): s for s in session.exec(query).all()}

    for key, signal in open_now.items():
        if key not in facts:
            signal.cleared_at = now
            session.add(signal)
            result.closed.append(signal)
            continue
        k, fact = facts[key]
        changed = _update(signal, k, fact)
        if changed:
            session.add(signal)
        result.kept += 1
    new = [{"account_id": fact.account_id, "kind": k.name, "severity": k.severity,
            "key": fact.key, "stakeholder_id": fact.stakeholder_id,
            "subject_type": fact.subject_type, "subject_id": fact.subject_id,
            "message": fact.message, "since": fact.since, "opened_at": now,
            "cleared_at": None, "details": fact.details or None}
           for key, (k, fact) in facts.items() if key not in open_now]
    if new:
        # One multi-row INSERT (the first refresh opens thousands at once), then the rows
        # read back: an ORM INSERT … RETURNING of many rows goes one row per statement.
        session.flush()
        session.execute(sa.insert(Signal), new)
        opened = select(Signal).where(Signal.cleared_at.is_(None), Signal.opened_at == now)
        if ids is not None:
            opened = opened.where(Signal.account_id.in_(ids))
        result.opened = [s for s in session.exec(opened.order_by(Signal.id)).all()
                         if (s.account_id, s.kind, s.key) not in open_now]
    session.flush()
    save_snapshots(session, account_ids=ids, today=today)
    session.flush()
    _emit(session, result)
    # The plays: a task for each signal that opened, and done for those that cleared.
    result.plays = run_plays(session, opened=result.opened, closed=result.closed, today=today)
    return result


def _update(signal: Signal, k: Kind, fact: Fact) -> bool:
    """Refresh an open signal's text and details from today's fact (its `since` and
    opening stay); True when anything changed."""
    new = {"message": fact.message, "severity": k.severity, "details": fact.details or None,
           "stakeholder_id": fact.stakeholder_id, "subject_type": fact.subject_type,
           "subject_id": fact.subject_id}
    changed = False
    for name, value in new.items():
        if getattr(signal, name) != value:
            setattr(signal, name, value)
            changed = True
    return changed


def _emit(session: Session, result: Refresh) -> None:
    """The domain events `signal.opened` / `signal.closed`, one per signal, in the
    refresh's transaction (events.py; notifications and webhooks consume them), as one
    batch: the first refresh opens thousands."""
    events.emit_many(session, [
        events.make_event(name, account_id=signal.account_id, entity="signal",
                          entity_id=signal.id,
                          data={"kind": signal.kind, "severity": signal.severity,
                                "key": signal.key, "since": signal.since.isoformat(),
                                "message": signal.message,
                                "stakeholder_id": signal.stakeholder_id,
                                "subject_type": signal.subject_type,
                                "subject_id": signal.subject_id})
        for name, signals in (("signal.opened", result.opened),
                              ("signal.closed", result.closed))
        for signal in signals])


def open_signal_count(session: Session) -> int:
    return int(session.exec(select(sa.func.count()).select_from(Signal)
                            .where(Signal.cleared_at.is_(None))).one())


__all__ = ["Refresh", "current_facts", "open_signal_count", "refresh_signals"]
