"""Export jobs: the Job row records progress and the file; the Huey task builds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from huey import MemoryHuey
from sqlmodel import Session

from valuetracker.exports.runs import create_export_job, register_tasks, run_export_job
from valuetracker.models import Job

from .factories.scenarios import TODAY


def new_job(session: Session, user: Any, **kw: Any) -> Job:
    job = create_export_job(session, user=user, quarter=kw.pop("quarter", "2026-Q3"),
                            fmt=kw.pop("fmt", "xlsx"), **kw)
    session.commit()
    return job


def test_task_builds_the_users_export(app, session, cast, seeded):
    huey = MemoryHuey("test-exports", immediate=True)
    register_tasks(huey, app)
    job = new_job(session, cast.am1)
    huey.export_build(job.id)
    session.refresh(job)
    assert (job.status, job.done, job.total, job.error) == ("done", 8, 8, None)
    path = Path(job.result["path"])
    assert path == (Path(app.config["REPORTS_DIR"]) / "2026-Q3" / "exports" / str(job.id)
                    / "quarterly-review-2026-Q3.xlsx")
    ws = openpyxl.load_workbook(path)["Summary"]
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == ["Acme Corp"]
    assert job.result["rows"]["Value delivered"] == 4
    assert job.started_at is not None and job.finished_at is not None


def test_a_done_job_is_not_rebuilt(app, session, cast, seeded):
    job = new_job(session, cast.leader, fmt="csv")
    engine = app.extensions["valuetracker.engine"]
    run_export_job(engine, job.id, reports_dir=app.config["REPORTS_DIR"], today=TODAY)
    session.refresh(job)
    path = Path(job.result["path"])
    assert path.suffix == ".zip"
    path.unlink()
    run_export_job(engine, job.id, reports_dir=app.config["REPORTS_DIR"], today=TODAY)
    assert not path.exists()


def test_a_failure_is_recorded_on_the_job(app, session, cast):
    job = new_job(session, cast.leader, quarter="2026-Q9")
    with pytest.raises(ValueError):
        run_export_job(app.extensions["valuetracker.engine"], job.id,
                       reports_dir=app.config["REPORTS_DIR"])
    session.refresh(job)
    assert job.status == "failed" and "is not a quarter" in job.error
    assert job.finished_at is not None
