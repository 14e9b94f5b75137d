"""The job queue: Huey, with the tasks of every area that runs background work.

Queue: `SqliteHuey` at HUEY_SQLITE_PATH by default, `RedisHuey` when REDIS_URL is set;
with HUEY_IMMEDIATE (tests) tasks run at once in the caller. Each app builds its own
Huey instance with the tasks bound to that app (`get_huey(app)`); the worker command
creates the app (config, database) and runs Huey's consumer on the same instance.

The jobs themselves live in their areas, one `runs` module each (TASK_MODULES:
`summaries/runs.py` for summaries batches, `exports/runs.py` for quarterly exports), and
`reminders.py` for the periodic reminders of unanswered links, `notifications/tasks.py`
for the immediate notification e-mails and the digests, and `webhooks/worker.py` for
webhook deliveries.
Each module has `register_tasks(huey, app)`, which puts its tasks on the instance, and
`recover(app, huey, pending)`, which re-enqueues what its unfinished jobs lost: Huey's
SQLite and Redis queues remove a task when it starts, so a killed worker loses the
task it was running. `recover_jobs` asks every area, from one listing of the queue
and of its retry schedule (a task waiting for its retry is not lost), and the worker
runs it when it starts. While workers run, `LostWorkCheck` (called at each heartbeat
of the oldest live worker) takes over the summaries items of a worker that died.

A job's progress is kept in its `Job` row; `job_message` and `job_progress` describe
it on the job page, in its JSON feed and in the CLI.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey
from sqlmodel import Session, select

from .models import Job, utcnow

log = logging.getLogger(__name__)

# The areas with background jobs; each module defines `register_tasks` and `recover`.
TASK_MODULES = ("summaries.runs", "exports.runs", "reminders", "signals.jobs",
                "notifications.tasks", "webhooks.worker", "bulk.runs")
FINISHED = ("done", "failed")


def get_huey(app: Flask) -> Huey:
    """The app's Huey instance (created on first use, with the tasks registered)."""
    huey = app.extensions.get("valuetracker.huey")
    if huey is None:
        huey = _make_huey(app)
        for module in _task_modules():
            module.register_tasks(huey, app)
        app.extensions["valuetracker.huey"] = huey
    return huey


def _make_huey(app: Flask) -> Huey:
    name = app.config.get("HUEY_NAME", "valuetracker")
    immediate = bool(app.config.get("HUEY_IMMEDIATE", False))
    if app.config.get("REDIS_URL"):
        return RedisHuey(name, url=app.config["REDIS_URL"], immediate=immediate,
                         results=False)
    # The queue's file is created on first use, its folder too (a fresh instance folder).
    Path(app.config["HUEY_SQLITE_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=app.config["HUEY_SQLITE_PATH"], immediate=immediate,
                      results=False)


def _task_modules() -> list[ModuleType]:
    # Imported when the queue is built, not at the top: each area's job code imports
    # this module (`get_huey`, FINISHED).
    return [importlib.import_module(f".{name}", __package__) for name in TASK_MODULES]


def recover_jobs(app: Flask) -> int:
    """Re-enqueue what unfinished jobs lost, area by area. Returns how many tasks were
    re-enqueued.

    Run when a worker starts: a worker killed mid-task loses that task from the queue.
    Each area re-runs only work that is neither finished nor waiting in the queue, and
    running a task that is in fact still in flight elsewhere is harmless.
    """
    huey = get_huey(app)
    waiting = [*huey.pending(), *huey.scheduled()]
    return sum(module.recover(app, huey, waiting) for module in _task_modules())



def lost_jobs(session: Session, kind: str, pending: Sequence[Any], task_name: str
              ) -> list[Job]:
    """The unfinished jobs of `kind` (queued or running) whose task `task_name` is not
    among the queue's `pending` tasks: a worker stopped while it held them. An area's
    `recover` runs each again, or gives it up (`give_up`)."""
    queued = {task.args[0] for task in pending if getattr(task, "name", "") == task_name}
    jobs = session.exec(select(Job).where(Job.kind == kind,
                                          Job.status.in_(("queued", "running")))).all()
    return [job for job in jobs if job.id not in queued]


def give_up(session: Session, job: Job, error: str) -> None:
    """Mark a lost job failed with the reason a user reads, and commit."""
    job.status, job.finished_at, job.error = "failed", utcnow(), error
    session.commit()

class LostWorkCheck:
    """Called at each heartbeat of a worker: when it is the oldest live worker, it
    re-enqueues the summaries items of workers that died (`summaries.runs.take_over_lost`),
    so they are taken over without a restart. One checker at a time (the oldest), so two
    live workers do not both re-enqueue the same item.

    An item counts as lost once it has been seen lost for `settle` seconds (at least
    one heartbeat): between leaving the queue and recording its claim, a task running
    normally is briefly in no list.
    """

    def __init__(self, app: Flask, engine: sa.Engine, worker_id: str, *, interval: float
                 ) -> None:
        self.app, self.engine, self.worker_id = app, engine, worker_id
        self.settle = max(interval, 1.0)
        self.suspects: dict[tuple[int, int, int | None], float] = {}

    def __call__(self) -> int:
        from .summaries.runs import take_over_lost
        from .workers import alive_workers

        with Session(self.engine) as session:
            oldest = alive_workers(session)[:1]
        if not oldest or oldest[0].id != self.worker_id:
            self.suspects.clear()
            return 0
        with self.app.app_context():
            count = take_over_lost(self.app, get_huey(self.app), self.engine, self.suspects,
                                   now=time.monotonic(), settle=self.settle)
        if count:
            log.warning("re-enqueued %d item(s) lost by a stopped worker", count)
        return count


# -- progress ---------------------------------------------------------------------------


def job_message(job: Job) -> str:
    """A one-line progress text for pages, JSON and the CLI."""
    from .summaries.scope import not_in_send_count

    left_out = not_in_send_count(job.result)
    text = f"{job.done} of {job.total} done"
    if job.failed:
        text += f", {job.failed} failed"
    if left_out:
        text += f", {left_out} not in the send"
    stage = (job.result or {}).get("stage") if job.status == "running" else None
    if stage == "checking":
        text = f"Checking: {job.done} of {job.total}"
    elif stage == "writing":
        text = f"Checked {job.total} of {job.total}; writing the changes…"
    if job.status == "queued":
        text = "Waiting for a worker… " + text
    elif job.status in FINISHED:
        text = ("Finished with errors: " if job.status == "failed" else "Finished: ") + text
    return text


def job_progress(job: Job) -> dict[str, Any]:
    """The job's progress as the job page's JSON feed sends it."""
    return {"id": job.id, "status": job.status, "done": job.done, "failed": job.failed,
            "total": job.total, "percent": job.percent, "message": job_message(job)}
