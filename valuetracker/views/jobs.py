"""Background job progress: a page with a progress bar, and its JSON feed."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from ..access import get_job_for_user
from ..db import get_session
from ..jobs import job_progress

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.route("/<int:job_id>")
@login_required
def show(job_id: int) -> str:
    job = get_job_for_user(get_session(), current_user, job_id)
    return render_template("jobs/show.html", job=job, progress=job_progress(job))


@bp.route("/<int:job_id>.json")
@login_required
def progress(job_id: int) -> object:
    job = get_job_for_user(get_session(), current_user, job_id)
    response = jsonify(job_progress(job))
    response.headers["Cache-Control"] = "no-store"
    return response
