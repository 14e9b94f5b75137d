"""Signals: refreshing every account's signals, and the incremental refresh of one
account after a single write (what the worker does after each commit).

Each measurement runs in a transaction that is rolled back, so the data set keeps no
signals and every run measures the same work: the full refresh opens every occurrence
(the worst case, as on the first run after an upgrade), and the write adds a disputed
value entry to the busiest account before refreshing that account alone.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import Flask
from sqlmodel import Session

from valuetracker.models import Account, ValueEntry
from valuetracker.signals import refresh_signals

from .probe import Probe


@dataclass
class SignalsResult:
    full_seconds: float | None = None
    full_cpu_seconds: float | None = None  # this process's CPU (SQLite runs in it too)
    opened: int = 0
    accounts: int = 0
    incremental_ms: list[float] = field(default_factory=list)
    incremental_cpu_ms: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def incremental_median(self) -> float | None:
        return statistics.median(self.incremental_ms) if self.incremental_ms else None

    @property
    def incremental_max(self) -> float | None:
        return max(self.incremental_ms) if self.incremental_ms else None


def measure_signals(app: Flask, probe: Probe, *, writes: int = 10) -> SignalsResult:
    engine = app.extensions["valuetracker.engine"]
    result = SignalsResult()
    with app.app_context():
        with Session(engine) as session:
            result.accounts = session.query(Account).count()
            started, cpu = time.perf_counter(), time.process_time()
            refresh = refresh_signals(session)
            result.full_seconds = time.perf_counter() - started
            result.full_cpu_seconds = time.process_time() - cpu
            result.opened = len(refresh.opened)
            session.rollback()
        for n in range(writes):
            with Session(engine) as session:
                started, cpu = time.perf_counter(), time.process_time()
                session.add(ValueEntry(account_id=probe.account_id, title=f"Bench write {n}",
                                       driver="cost_reduction", amount=Decimal("100"),
                                       delivered_on=date.today(),
                                       evidence_status="disputed"))
                session.flush()
                refresh_signals(session, account_ids=[probe.account_id])
                result.incremental_ms.append((time.perf_counter() - started) * 1000)
                result.incremental_cpu_ms.append((time.process_time() - cpu) * 1000)
                session.rollback()
    return result
