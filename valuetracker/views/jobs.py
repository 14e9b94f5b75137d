"""Background job progress: a page with a progress bar, and its JSON feed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required
from sqlmodel import Session

from ..access import get_job_for_user
from ..db import get_session
from ..jobs import job_progress
from ..models import Job
from ..workers import worker_note

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _progress(session: Session, job: Job) -> dict[str, Any]:
    """The job's progress, with a `note` when it waits for a worker and none is running."""
    progress = job_progress(job)
    note = worker_note(session, job)
    if note:
        progress["note"] = note
    return progress


@bp.route("/<int:job_id>")
@login_required
def show(job_id: int) -> str:
    session = get_session()
    job = get_job_for_user(session, current_user, job_id)
    return render_template("jobs/show.html", job=job, progress=_progress(session, job))


@bp.route("/<int:job_id>.json")
@login_required
def progress(job_id: int) -> object:
    session = get_session()
    job = get_job_for_user(session, current_user, job_id)
    response = jsonify(_progress(session, job))
    response.headers["Cache-Control"] = "no-store"
    return response
