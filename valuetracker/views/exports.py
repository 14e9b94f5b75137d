"""Quarterly review exports from the web: choose quarter, format and accounts; download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import SelectField, SelectMultipleField

from .. import audit
from ..access import account_scope, get_export_job_for_user, may_export, permission_required
from ..db import engine, get_session
from ..exports import FORMATS, SHEET_NAMES
from ..exports.runs import JOB_KIND, create_export_job, run_export_job
from ..forms import choices
from ..jobs import get_huey
from ..models import Account, Job
from ..quarters import app_start_month, current_quarter
from ..workers import worker_note
from ._request import file_response, reports_file

bp = Blueprint("exports", __name__, url_prefix="/exports")

FORMAT_LABELS = {"xlsx": "Excel workbook (.xlsx)", "csv": "CSV files in a zip"}
RECENT_EXPORTS = 10


class ExportForm(FlaskForm):
    quarter = SelectField("Quarter")
    format = SelectField("Format", choices=choices({f: FORMAT_LABELS[f] for f in FORMATS}))
    accounts = SelectMultipleField(
        "Accounts", description="Leave empty to include every account you can see; hold Ctrl "
                                "(⌘ on a Mac) to choose several.")


def _quarter_choices() -> list[Any]:
    # The current quarter and the seven before it, newest first; the previous (complete)
    # quarter is the default, as reviews look back.
    quarters = list(reversed(current_quarter(app_start_month()).last(8)))
    return choices({q.label: q.label for q in quarters})


def _export_form() -> ExportForm:
    session = get_session()
    accounts = session.exec(
        select(Account.id, Account.name)
        .where(Account.status != "archived", account_scope(current_user, Account.id))
        .order_by(Account.name)
    ).all()
    form = ExportForm()
    form.quarter.choices = _quarter_choices()
    form.accounts.choices = choices({str(i): name for i, name in accounts})
    if not form.is_submitted():
        form.quarter.data = current_quarter(app_start_month()).previous().label
    return form


@bp.route("/", methods=["GET", "POST"])
@permission_required(may_export)
def index() -> Any:
    form = _export_form()
    session = get_session()
    if form.validate_on_submit():
        account_ids = [int(i) for i in form.accounts.data or []]
        job = create_export_job(session, user=current_user, quarter=form.quarter.data,
                                fmt=form.format.data, account_ids=account_ids)
        audit.record(session, "export", "quarterly_export", job.id,
                     f"Quarterly review {form.quarter.data} ({form.format.data})",
                     details={"accounts": account_ids or "all"})
        session.commit()
        _start(job)
        return redirect(url_for("exports.show", job_id=job.id))
    recent = session.exec(
        select(Job).where(Job.kind == JOB_KIND, Job.created_by_id == current_user.id)
        .order_by(Job.id.desc()).limit(RECENT_EXPORTS)
    ).all()
    return render_template("exports/index.html", form=form, recent=recent,
                           sheet_names=SHEET_NAMES)


def _start(job: Job) -> None:
    """Run the export as a background job when the job queue knows the export task;
    otherwise build it now, in this request (it streams, so memory stays flat)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    task = getattr(get_huey(app), "export_build", None)
    if task is not None:
        task(job.id)
        return
    config = current_app.config
    try:
        run_export_job(engine(), job.id, reports_dir=config["REPORTS_DIR"],
                       currency=config.get("CURRENCY", "USD"), start_month=app_start_month())
    except Exception:  # the job row records the failure; the page shows it
        current_app.logger.exception("export job %s failed", job.id)
        flash("The export failed; the error is recorded on the export.", "danger")


@bp.route("/<int:job_id>")
@permission_required(may_export)
def show(job_id: int) -> str:
    session = get_session()
    job = get_export_job_for_user(session, current_user, job_id)
    return render_template("exports/show.html", job=job, sheet_names=SHEET_NAMES,
                           note=worker_note(session, job))


@bp.route("/<int:job_id>.json")
@permission_required(may_export)
def status(job_id: int) -> Any:
    session = get_session()
    job = get_export_job_for_user(session, current_user, job_id)
    messages = {"queued": "Waiting to start…", "running": f"Writing sheet {job.done} of "
                f"{job.total}…", "done": "Ready to download.", "failed": "The export failed."}
    feed: dict[str, Any] = {"status": job.status, "done": job.done, "total": job.total,
                            "failed": job.failed,
                            "message": messages.get(job.status, job.status)}
    note = worker_note(session, job)  # queued or running, and no worker to build it
    if note:
        feed["note"] = note
    return jsonify(feed)


@bp.route("/<int:job_id>/download")
@permission_required(may_export)
def download(job_id: int) -> Any:
    job = get_export_job_for_user(get_session(), current_user, job_id)
    if job.status != "done" or not job.result:
        abort(404)
    # The job row holds the path as written (absolute, or from the working directory).
    path = reports_file(Path(job.result["path"]).resolve())
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if path.suffix == ".xlsx" else "application/zip")
    # Streamed from disk: a workbook of every account can be large.
    return file_response(path, filename=job.result.get("filename", path.name),
                         mimetype=mimetype)
