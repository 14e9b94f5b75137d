"""Bulk actions of more than a page of rows run as one job (`Job` kind "bulk"), with
progress: the web creates the job (`create_bulk_job`), the worker runs `run_bulk_job`.

The job first checks the whole selection, chunk by chunk, recording progress after
each chunk in a short transaction of its own (`result["stage"]` "checking"). When
anything is refused, the job ends "failed" with every refusal in `result["refused"]`
and nothing is written. Otherwise it writes every change in one transaction
(`core.execute`, stage "writing"), which also closes the job: the changes and the job's
"done" are committed together, or neither is.

A job whose worker was killed wrote nothing (its one transaction never committed):
`recover` runs it again when a worker starts, unless it mails people (links may have
left before the commit) or is more than RECOVERY_WINDOW old; those are marked failed,
to be started again by the user.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..db import session_scope
from ..jobs import give_up, lost_jobs
from ..models import Job, User, utcnow
from .actions import LISTS
from .core import CHUNK, Action, BulkList, Plan, Refused, execute, inspect

JOB_KIND = "bulk"
RUN_TASK = "bulk.run"
RECOVERY_WINDOW = timedelta(hours=1)
# Refusals kept on the job for its page (the count is always exact).
MAX_REPORTED = 500


def create_bulk_job(session: Session, *, user: User, bulk_list: BulkList, action: Action,
                    ids: Sequence[int], value: Any, change: str, back: str) -> Job:
    """A queued bulk job (added to the session; the caller commits and enqueues it)."""
    job = Job(kind=JOB_KIND, status="queued", total=len(ids), created_by_id=user.id,
              params={"list": bulk_list.key, "action": action.key, "ids": list(ids),
                      "value": value, "change": change, "back": back,
                      "label": f"{action.label}: {bulk_list.counted(len(ids))}"})
    session.add(job)
    session.flush()
    return job


def refused_report(refused: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"id": i.id, "name": i.name, "reason": i.refusal} for i in refused[:MAX_REPORTED]]


def _update(engine: Engine, job_id: int, **values: Any) -> None:
    # Progress in its own short transaction, so the job page sees it meanwhile.
    with session_scope(engine) as session:
        session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
        session.commit()


def _finish(session: Session, job_id: int, plan: Plan, *, status: str, **result: Any) -> None:
    session.execute(sa.update(Job).where(Job.id == job_id).values(
        status=status, finished_at=utcnow(), done=len(plan.items) if status == "done" else 0,
        result=result))


def run_bulk_job(engine: Engine, job_id: int, *, size: int = CHUNK) -> None:
    """Check, then do, the bulk action of job `job_id` (see the module's docstring).
    An unexpected failure is recorded on the job and re-raised."""
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status in ("done", "failed"):
            return
        params = dict(job.params or {})
        _update(engine, job_id, status="running", started_at=utcnow(), done=0, error=None,
                result={"stage": "checking"})
        try:
            bulk_list = LISTS[params["list"]]
            action = bulk_list.action(params["action"])
            user = session.get(User, job.created_by_id) if job.created_by_id else None
            if action is None or user is None or not user.active:
                raise RuntimeError("the user who started this action may no longer act")
            ids, value = [int(i) for i in params["ids"]], params.get("value")
            plan = inspect(session, user, action, ids, value, size=size,
                           progress=lambda n: _update(engine, job_id, done=n))
            session.rollback()  # end the reading; the writing starts afresh
            refused_count = len(plan.refused)
            if not refused_count:
                _update(engine, job_id, result={"stage": "writing"})
                try:
                    plan = execute(session, user, action, ids, value, size=size)
                except Refused as exc:  # changed since the check: nothing is written
                    session.rollback()
                    plan = Plan(exc.refused)
                    refused_count = len(exc.refused)
                    if exc.problem:
                        _update(engine, job_id, status="failed", finished_at=utcnow(),
                                error=f"Nothing was changed: {exc.problem}",
                                result={"refused": [], "refused_count": 0})
                        return
            if refused_count:
                _update(engine, job_id, status="failed", finished_at=utcnow(), done=0,
                        error=f"Nothing was changed: {refused_count} of {len(ids)} "
                              f"{bulk_list.plural} refused.",
                        result={"refused": refused_report(plan.refused),
                                "refused_count": refused_count})
                return
            _finish(session, job_id, plan, status="done", changed=len(plan.changing),
                    unchanged=len(plan.unchanged), refused=[], refused_count=0)
            session.commit()
        except Exception as exc:  # recorded for the user to see, then re-raised
            session.rollback()
            _update(engine, job_id, status="failed", finished_at=utcnow(),
                    error=f"Nothing was changed: {type(exc).__name__}: {exc}"[:1000])
            raise


def register_tasks(huey: Any, app: Flask) -> None:
    """`huey.bulk_run(job_id)`, for the web and the worker. Not retried: a failed job
    shows why, and the user starts it again."""

    @huey.task(name=RUN_TASK, retries=0)
    def bulk_run(job_id: int) -> None:
        with app.app_context():
            run_bulk_job(app.extensions["valuetracker.engine"], job_id)

    huey.bulk_run = bulk_run


def recover(app: Flask, huey: Any, pending: Sequence[Any]) -> int:
    """Run again the unfinished bulk jobs the queue lost (see the module's docstring)."""
    count = 0
    with session_scope(app.extensions["valuetracker.engine"]) as session:
        for job in lost_jobs(session, JOB_KIND, pending, RUN_TASK):
            bulk_list = LISTS.get((job.params or {}).get("list", ""))
            action = bulk_list.action(job.params["action"]) if bulk_list else None
            if (action is None or action.sends_mail
                    or job.created_at < utcnow() - RECOVERY_WINDOW):
                give_up(session, job, "The worker running this action stopped before it "
                                      "finished: nothing was recorded. Start it again from "
                                      "the list.")
                continue
            huey.bulk_run(job.id)
            count += 1
    return count
