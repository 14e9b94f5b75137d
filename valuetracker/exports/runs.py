"""Exports started from the web: a Job row records who asked for what, progress and the file.

The Job row is what makes the download permission-checked: only the user who asked for an
export (or an admin) may fetch it, and it holds exactly that user's accounts.

One task builds the whole file (written to a temporary name and renamed), so an export
whose worker was killed is simply built again by `recover`, which `jobs.recover_jobs`
calls when a worker starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..db import session_scope
from ..jobs import give_up, lost_jobs
from ..models import Job, User, utcnow
from ..quarters import parse_quarter
from . import SHEET_NAMES, build_quarter_export, export_filename

JOB_KIND = "quarterly_export"
BUILD_TASK = "exports.build"
# An export cut off by a worker's stop is built again when a worker starts, unless it
# was asked for longer ago than this.
RECOVERY_WINDOW = timedelta(days=1)


def create_export_job(session: Session, *, user: User, quarter: str, fmt: str,
                      account_ids: Sequence[int] = ()) -> Job:
    """A queued export job for `user` (added to the session; the caller commits)."""
    job = Job(kind=JOB_KIND, status="queued", total=len(SHEET_NAMES), created_by_id=user.id,
              params={"quarter": quarter, "format": fmt, "account_ids": list(account_ids)})
    session.add(job)
    session.flush()
    return job


def export_path(reports_dir: str | Path, job: Job) -> Path:
    """REPORTS_DIR/<quarter>/exports/<job id>/quarterly-review-<quarter>.xlsx"""
    params = job.params or {}
    quarter = parse_quarter(params["quarter"])
    return (Path(reports_dir) / quarter.label / "exports" / str(job.id)
            / export_filename(quarter, params.get("format", "xlsx")))


def _update_job(engine: Engine, job_id: int, **values: Any) -> None:
    # Progress is written in its own short transaction so the page polling it sees it
    # while the export is still reading.
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        for key, value in values.items():
            setattr(job, key, value)
        session.commit()


def run_export_job(engine: Engine, job_id: int, *, reports_dir: str | Path,
                   currency: str = "USD", start_month: int = 1,
                   today: date | None = None) -> None:
    """Build the export of job `job_id`, recording progress, the file and any failure.

    A failure is recorded on the job (status "failed", the error's message) and re-raised.
    """
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status == "done":
            return  # already built (a retried task must not redo the work)
        _update_job(engine, job_id, status="running", started_at=utcnow(), done=0,
                    error=None)

        def progress(done: int, total: int, sheet: str) -> None:
            _update_job(engine, job_id, done=done, total=total)

        try:
            user = session.get(User, job.created_by_id) if job.created_by_id else None
            if user is None:
                raise RuntimeError("the user who asked for this export no longer exists")
            params = job.params or {}
            result = build_quarter_export(
                session, quarter=parse_quarter(params["quarter"], start_month),
                path=export_path(reports_dir, job), fmt=params.get("format", "xlsx"),
                user=user, account_ids=params.get("account_ids") or None, currency=currency,
                today=today, progress=progress,
            )
        except Exception as exc:  # recorded on the job for the user to see, then re-raised
            session.rollback()
            _update_job(engine, job_id, status="failed", finished_at=utcnow(),
                        error=f"{type(exc).__name__}: {exc}"[:1000])
            raise
        _update_job(engine, job_id, status="done", finished_at=utcnow(), done=len(SHEET_NAMES),
                    result={"path": str(result.path), "filename": result.path.name,
                            "rows": result.rows})


def register_tasks(huey: Any, app: Flask) -> None:
    """Register the export task on the app's Huey instance (`huey.export_build(job_id)`).

    Called where the job queue registers its tasks, so web processes and `valuetracker
    worker` both know it. A failed export is not retried: the job shows the failure and
    the user builds it again.
    """

    @huey.task(name=BUILD_TASK, retries=0)
    def export_build(job_id: int) -> None:
        with app.app_context():
            run_export_job(app.extensions["valuetracker.engine"], job_id,
                           reports_dir=app.config["REPORTS_DIR"],
                           currency=app.config.get("CURRENCY", "USD"),
                           start_month=int(app.config.get("FISCAL_YEAR_START_MONTH", 1)))

    huey.export_build = export_build


def recover(app: Flask, huey: Any, pending: Sequence[Any]) -> int:
    """Build again the unfinished exports that are not among the `pending` tasks of the
    queue (an export asked for more than RECOVERY_WINDOW ago is marked failed instead).
    Returns how many were re-enqueued."""
    count = 0
    with session_scope(app.extensions["valuetracker.engine"]) as session:
        for job in lost_jobs(session, JOB_KIND, pending, BUILD_TASK):
            if job.created_at < utcnow() - RECOVERY_WINDOW:
                # Asked for long ago: today's figures are not what was asked for.
                give_up(session, job, "The worker building this export stopped, and it was "
                                      "asked for more than a day ago: build it again.")
                continue
            huey.export_build(job.id)
            count += 1
    return count
