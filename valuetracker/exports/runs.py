"""Exports started from the web: a Job row records who asked for what, progress and the file.

The Job row is what makes the download permission-checked: only the user who asked for an
export (or an admin) may fetch it, and it holds exactly that user's accounts.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..db import session_scope
from ..models import Job, User, utcnow
from ..quarters import parse_quarter
from . import SHEET_NAMES, build_quarter_export, export_filename

JOB_KIND = "quarterly_export"


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
    """Build the export of job `job_id`, recording progress, the file and any failure."""
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status == "done":
            return  # already built (a retried task must not redo the work)
        user = session.get(User, job.created_by_id) if job.created_by_id else None
        params = job.params or {}
        quarter = parse_quarter(params["quarter"], start_month)
        path = export_path(reports_dir, job)
        _update_job(engine, job_id, status="running", started_at=utcnow(), done=0,
                    error=None)

        def progress(done: int, total: int, sheet: str) -> None:
            _update_job(engine, job_id, done=done, total=total)

        try:
            if user is None:
                raise RuntimeError("the user who asked for this export no longer exists")
            result = build_quarter_export(
                session, quarter=quarter, path=path, fmt=params.get("format", "xlsx"),
                user=user, account_ids=params.get("account_ids") or None, currency=currency,
                today=today, progress=progress,
            )
        except Exception as exc:  # recorded on the job for the user to see, then re-raised
            session.rollback()
            _update_job(engine, job_id, status="failed", finished_at=utcnow(),
                        error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
            raise
        _update_job(engine, job_id, status="done", finished_at=utcnow(), done=len(SHEET_NAMES),
                    result={"path": str(result.path), "filename": result.path.name,
                            "rows": result.rows})
