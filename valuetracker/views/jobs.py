"""Background job progress: a page with a progress bar, and its JSON feed; for a
summaries batch, links to what it produced (the accounts' summaries pages, the coverage
page of its quarter), who was not in the send, its failed items (with "Retry the failed
ones") and its sendings of unknown delivery (with their resolve buttons)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlmodel import Session, select

from ..access import get_job_for_user, summaries_access
from ..db import get_session
from ..forms import EmptyForm
from ..jobs import job_progress
from ..models import Account, Job, ValueSummary
from ..summaries.retry import create_retry_job, failed_items
from ..summaries.runs import JOB_KIND, enqueue_job
from ..summaries.send import unknown_sendings
from ..workers import worker_note
from .summaries import resolve_forms

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

# A batch of more accounts than this links to the coverage page instead of each account.
LINKED_ACCOUNTS = 20


def job_feed(session: Session, job: Job) -> dict[str, Any]:
    """The job's progress, with a `note` when it waits for a worker and none is running."""
    progress = job_progress(job)
    note = worker_note(session, job)
    if note:
        progress["note"] = note
    return progress


def _may_send_all(session: Session, job: Job) -> bool:
    """Whether the user may generate and send the summaries of every account of the job."""
    return all(summaries_access(session, current_user, account_id)[1]
               for account_id in (job.params or {}).get("account_ids", []))


def _accounts(session: Session, job: Job, failed: list[dict[str, Any]]
              ) -> dict[int, tuple[str, str]]:
    """{account id: (name, slug)} of the batch's accounts to link to (all of them up to
    LINKED_ACCOUNTS, not a whole portfolio) and of its failed items; one query."""
    ids = list((job.params or {}).get("account_ids", []))
    wanted = set(ids if len(ids) <= LINKED_ACCOUNTS else [])
    wanted |= {f["account_id"] for f in failed}
    if not wanted:
        return {}
    rows = session.exec(select(Account.id, Account.name, Account.slug)
                        .where(Account.id.in_(wanted)).order_by(Account.name)).all()
    return {i: (name, slug) for i, name, slug in rows}


@bp.route("/<int:job_id>")
@login_required
def show(job_id: int) -> str:
    session = get_session()
    job = get_job_for_user(session, current_user, job_id)
    failed: list[dict[str, Any]] = []
    unknown: list[Any] = []
    accounts: dict[int, tuple[str, str]] = {}
    can_act = False
    if job.kind == JOB_KIND and job.params:
        failed = failed_items(session, job)
        unknown = unknown_sendings(session, sa.and_(
            ValueSummary.quarter == job.params.get("quarter"),
            ValueSummary.account_id.in_(job.params.get("account_ids", []))))
        can_act = bool(failed or unknown) and _may_send_all(session, job)
        accounts = _accounts(session, job, failed)
    linked = [accounts[i] for i in (job.params or {}).get("account_ids", []) if i in accounts]
    return render_template("jobs/show.html", job=job, progress=job_feed(session, job),
                           failed=failed, unknown=unknown, can_act=can_act,
                           accounts=accounts, linked=linked, is_summaries=job.kind == JOB_KIND,
                           retry_form=EmptyForm(), resolve=resolve_forms(f"job:{job.id}"))


@bp.route("/<int:job_id>/retry", methods=["POST"])
@login_required
def retry(job_id: int) -> object:
    """Retry the failed items of a finished summaries job (only those), as a new job."""
    session = get_session()
    job = get_job_for_user(session, current_user, job_id)
    if job.kind != JOB_KIND:
        abort(404)
    if not _may_send_all(session, job):
        abort(403)
    if not EmptyForm().validate_on_submit():
        flash("The form expired: try again.", "danger")
        return redirect(url_for("jobs.show", job_id=job.id))
    try:
        new = create_retry_job(session, job, user_id=current_user.id)
    except ValueError:
        flash("This job has no failed items to retry.", "info")
        return redirect(url_for("jobs.show", job_id=job.id))
    session.commit()
    enqueue_job(current_app._get_current_object(), new)  # type: ignore[attr-defined]
    flash(f"Retrying the {new.total} failed item(s) of job {job.id}.", "success")
    return redirect(url_for("jobs.show", job_id=new.id))


@bp.route("/<int:job_id>.json")
@login_required
def progress(job_id: int) -> object:
    session = get_session()
    job = get_job_for_user(session, current_user, job_id)
    response = jsonify(job_feed(session, job))
    response.headers["Cache-Control"] = "no-store"
    return response
