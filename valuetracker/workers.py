"""Worker heartbeats: who is taking jobs off the queue, seen from any node.

`valuetracker worker` keeps a row in `worker_heartbeat` (in the database, which every
node shares) fresh from a daemon thread, and deletes it when it stops cleanly. The web
and the CLI ask `any_worker_alive` before they count on the queue: with no worker, the
CLI runs a job in its own process and the job pages say that nobody will run it.

A killed worker cannot delete its row; it counts as dead once the row's expiry, a few
missed beats after it was last seen, is past. Timestamps come from each node's clock,
so the nodes' clocks must agree to within a beat or two (NTP).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select

from .models import Job, WorkerHeartbeat, utcnow

log = logging.getLogger(__name__)

# Seconds between a worker's heartbeats (the HEARTBEAT_INTERVAL setting).
DEFAULT_HEARTBEAT_INTERVAL = 10.0
# A worker is alive until it has missed this many beats.
MISSED_BEATS = 3
# Rows of killed workers are dropped this long after they expired.
FORGET_AFTER = timedelta(days=1)

NO_WORKER_NOTE = ("No worker is running — start `valuetracker worker` to run this job; "
                  "until then it waits in the queue.")


def heartbeat_interval(app: Flask) -> float:
    """The app's HEARTBEAT_INTERVAL in seconds (tests shorten it)."""
    return float(app.config.get("HEARTBEAT_INTERVAL", DEFAULT_HEARTBEAT_INTERVAL))


# -- the rows -----------------------------------------------------------------------------


def record_heartbeat(session: Session, *, worker_id: str, hostname: str, pid: int,
                     started_at: datetime, interval: float, now: datetime | None = None
                     ) -> None:
    """Upsert the worker's row: seen now, alive for MISSED_BEATS more intervals.

    Also drops rows of workers that died long ago (killed ones never delete their own).
    The caller commits.
    """
    now = now or utcnow()
    expires_at = now + timedelta(seconds=interval * MISSED_BEATS)
    # Only this worker writes its row, so update-else-insert cannot race.
    updated = session.execute(
        sa.update(WorkerHeartbeat).where(WorkerHeartbeat.id == worker_id)
        .values(seen_at=now, expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount == 0:  # the first beat, or the row was dropped while we were away
        session.add(WorkerHeartbeat(id=worker_id, hostname=hostname[:255], pid=pid,
                                    started_at=started_at, seen_at=now,
                                    expires_at=expires_at))
    session.execute(
        sa.delete(WorkerHeartbeat).where(WorkerHeartbeat.expires_at < now - FORGET_AFTER)
        .execution_options(synchronize_session=False)
    )


def remove_heartbeat(session: Session, *, worker_id: str) -> None:
    """Delete the worker's row (a clean stop). The caller commits."""
    session.execute(sa.delete(WorkerHeartbeat).where(WorkerHeartbeat.id == worker_id)
                    .execution_options(synchronize_session=False))


def alive_workers(session: Session, *, now: datetime | None = None) -> list[WorkerHeartbeat]:
    """The workers alive now, oldest first."""
    return list(session.exec(
        select(WorkerHeartbeat).where(WorkerHeartbeat.expires_at > (now or utcnow()))
        .order_by(WorkerHeartbeat.started_at)
    ).all())


def any_worker_alive(session: Session, *, now: datetime | None = None) -> bool:
    """Whether some worker takes jobs off the queue (one indexed lookup)."""
    return session.exec(
        select(WorkerHeartbeat.id).where(WorkerHeartbeat.expires_at > (now or utcnow()))
        .limit(1)
    ).first() is not None


def worker_note(session: Session, job: Job) -> str | None:
    """The job page's note when the job waits for a worker and none is running."""
    if job.status in ("queued", "running") and not any_worker_alive(session):
        return NO_WORKER_NOTE
    return None


# -- the worker's thread ------------------------------------------------------------------


def _heartbeat_engine(url: str) -> sa.Engine:
    """An engine that keeps no connection between beats.

    The worker command forks its worker processes from the process this runs in (and
    forks replacements later); a pooled connection would be inherited by every child.
    """
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if url.startswith("sqlite"):
        # The busy timeout; the database is in WAL mode already (the app's engine set it).
        kwargs["connect_args"] = {"timeout": 30}
    return sa.create_engine(url, **kwargs)


class Heartbeat:
    """A worker's heartbeat: beats once on `start`, then every `interval` seconds from a
    daemon thread until `stop`, which deletes the row. `run_beside` adds a second thread
    calling a check at the same pace (the check for work lost by dead workers,
    `jobs.LostWorkCheck`): a slow check never delays a beat, which would make this
    worker look dead."""

    def __init__(self, database_url: str, *, interval: float) -> None:
        self.worker_id = uuid.uuid4().hex
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.started_at = utcnow()
        self.interval = interval
        self._engine = _heartbeat_engine(database_url)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._checks: list[threading.Thread] = []

    def start(self) -> Heartbeat:
        # The first beat is written before the thread starts, so the row is there
        # before the consumer forks its workers (the thread is then idle in a wait).
        self.beat()
        self._thread.start()
        return self

    def beat(self) -> None:
        try:
            with Session(self._engine) as session:
                record_heartbeat(session, worker_id=self.worker_id, hostname=self.hostname,
                                 pid=self.pid, started_at=self.started_at,
                                 interval=self.interval)
                session.commit()
        except sa.exc.SQLAlchemyError:
            # The database may be back by the next beat; the worker goes on meanwhile.
            log.warning("could not record the worker's heartbeat", exc_info=True)

    @property
    def engine(self) -> sa.Engine:
        """This thread's engine (no pooled connection crosses the worker's forks)."""
        return self._engine

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            self.beat()

    def run_beside(self, check: Callable[[], object]) -> None:
        """Call `check` every interval from its own daemon thread, until `stop`."""

        def loop() -> None:
            while not self._stopping.wait(self.interval):
                try:
                    check()
                except Exception:  # the next round tries again; the worker goes on
                    log.warning("the check for lost work failed", exc_info=True)

        thread = threading.Thread(target=loop, name="lost-work-check", daemon=True)
        self._checks.append(thread)
        thread.start()

    def stop(self) -> None:
        """Stop beating and delete the row: a worker that stopped is not a dead one."""
        self._stopping.set()
        for thread in (self._thread, *self._checks):
            if thread.is_alive():
                thread.join(timeout=self.interval + 35)  # a beat may wait on a lock
        try:
            with Session(self._engine) as session:
                remove_heartbeat(session, worker_id=self.worker_id)
                session.commit()
        except sa.exc.SQLAlchemyError:
            log.warning("could not remove the worker's heartbeat", exc_info=True)
        self._engine.dispose()


def start_heartbeat(app: Flask) -> Heartbeat:
    """Start the heartbeat of the worker running in this process."""
    return Heartbeat(app.config["DATABASE_URL"], interval=heartbeat_interval(app)).start()
