"""Summaries batches: one Job per batch, one Huey task per item.

The web and `valuetracker summaries generate` create the same job
(`create_summaries_job`) and put its items on the queue (`enqueue_job`). A batch is
one task per item, so several worker processes render in parallel. Each item is
idempotent (upsert of the summary, claimed Distribution), and progress is counted
exactly once per item: the item's summary row gets the job's id in the same
transaction that increments `Job.done`, only if it did not have it yet. A failed
item is retried by Huey; on its last try the failure is recorded on the Job and the
rest of the batch goes on.

Items lost by a killed worker (Huey's SQLite and Redis queues remove a task when it
starts) are re-enqueued by `recover`, which `jobs.recover_jobs` calls when a worker
starts.

With no worker alive (`valuetracker.workers`), the CLI runs a job's items in its own
process with `run_summary_item_here`, and takes over a queued job whose workers went
away. The copies of those items left in the queue do nothing once the job is finished
(and before that, an item run twice is counted once).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from flask import Flask
from huey import Huey
from huey.api import Task
from sqlmodel import Session, select

from ..db import session_scope
from ..jobs import FINISHED, get_huey
from ..models import Account, Job, ValueSummary, utcnow
from ..quarters import parse_quarter

log = logging.getLogger(__name__)

JOB_KIND = "summaries"
ITEM_TASK = "summaries.item"
# Huey names a task "<module of its function>.<name>" in the queue. This task was
# defined in `valuetracker.jobs` before it moved here, and items queued then must still
# run after an upgrade, so it keeps that module in its name.
ITEM_TASK_MODULE = "valuetracker.jobs"


def register_tasks(huey: Huey, app: Flask) -> None:
    """Register the item task on the app's Huey instance
    (`huey.summary_item(job_id, account_id, stakeholder_id)`), retried JOB_RETRIES times."""
    retries = int(app.config.get("JOB_RETRIES", 2))
    # Immediate mode only re-runs a retry at once when it has no delay.
    delay = 0 if huey.immediate else int(app.config.get("JOB_RETRY_DELAY", 5))

    def summary_item(job_id: int, account_id: int, stakeholder_id: int | None,
                     task: Task | None = None) -> None:
        with app.app_context():
            run_summary_item(app, job_id, account_id, stakeholder_id,
                             last_try=task is None or task.retries <= 0)

    summary_item.__module__ = ITEM_TASK_MODULE
    huey.summary_item = huey.task(  # type: ignore[attr-defined]
        retries=retries, retry_delay=delay, context=True, name=ITEM_TASK)(summary_item)


# -- creating and enqueueing ------------------------------------------------------------


def active_account_ids(session: Session, slugs: list[str] | None = None) -> list[int]:
    """Ids of the accounts to summarise: the given slugs, or every active account."""
    query = select(Account.id)
    query = query.where(Account.slug.in_(slugs)) if slugs else query.where(
        Account.status == "active")
    return list(session.exec(query.order_by(Account.name)).all())


def create_summaries_job(
    session: Session,
    *,
    quarter: str,
    account_ids: list[int],
    variant: str = "stakeholder",
    send: bool = False,
    regenerate: bool = True,
    user_id: int | None = None,
) -> Job:
    """A queued Job with the batch's items and skipped stakeholders (the caller commits).

    Enqueue with `enqueue_job` after the commit, so workers can see the row.
    """
    from .generate import plan_batch

    items, skipped = plan_batch(session, account_ids, variant)
    job = Job(
        kind=JOB_KIND,
        total=len(items),
        created_by_id=user_id,
        params={"quarter": quarter, "variant": variant, "send": send,
                "regenerate": regenerate, "account_ids": account_ids,
                "items": [[i.account_id, i.stakeholder_id] for i in items]},
        result={"skipped": [{"stakeholder_id": s.stakeholder_id, "name": s.name,
                             "reason": s.reason} for s in skipped]},
    )
    if not items:
        job.status, job.finished_at = "done", utcnow()
    session.add(job)
    session.flush()
    return job


def enqueue_job(app: Flask, job: Job, items: Iterable[tuple[int, int | None]] | None = None
                ) -> None:
    """Put the job's items (or the given subset) on the queue."""
    huey = get_huey(app)
    for account_id, stakeholder_id in items if items is not None else job.params["items"]:
        huey.summary_item(job.id, account_id, stakeholder_id)


# -- running one item ---------------------------------------------------------------------


def run_summary_item(app: Flask, job_id: int, account_id: int, stakeholder_id: int | None,
                     *, last_try: bool = True) -> None:
    """Generate (and maybe send) one summary of a job, then count it. Idempotent."""
    from .generate import generate_one
    from .send import send_summary

    engine = app.extensions["valuetracker.engine"]
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status in FINISHED:
            return
        params = job.params or {}
        if job.status == "queued":  # the first item; the others skip this write
            _mark_running(session, job_id)
        try:
            quarter = parse_quarter(params["quarter"], int(app.config["FISCAL_YEAR_START_MONTH"]))
            summary = generate_one(session, account_id=account_id, stakeholder_id=stakeholder_id,
                                   quarter=quarter, variant=params.get("variant", "stakeholder"),
                                   user_id=job.created_by_id,
                                   regenerate=bool(params.get("regenerate", True)))
            session.commit()
            if params.get("send") and summary.stakeholder_id is not None:
                send_summary(session, summary)
            _count_done(session, job_id, summary.id)
        except Exception as exc:
            session.rollback()
            log.exception("summary item failed (job %s, stakeholder %s)", job_id, stakeholder_id)
            if not last_try:
                raise  # Huey retries the item
            _count_failed(session, job_id, stakeholder_id, account_id, exc)
        _finish_if_complete(session, job_id)
        session.commit()


def run_summary_item_here(app: Flask, job_id: int, account_id: int,
                          stakeholder_id: int | None) -> None:
    """Run one item in this process (the CLI with no worker): the tries it would get on
    the queue, back to back, and a failure on the last one is recorded on the job."""
    for _retry in range(int(app.config.get("JOB_RETRIES", 2))):
        try:
            run_summary_item(app, job_id, account_id, stakeholder_id, last_try=False)
        except Exception:  # logged by run_summary_item; try again, like Huey would
            continue
        return
    run_summary_item(app, job_id, account_id, stakeholder_id, last_try=True)


def _mark_running(session: Session, job_id: int) -> None:
    session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status == "queued")
        .values(status="running", started_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _count_done(session: Session, job_id: int, summary_id: int) -> None:
    """Count the item once: tag the summary with the job only if not tagged yet.

    The caller commits, with `_finish_if_complete` in the same transaction: one write
    per item, so parallel workers seldom wait for each other's lock."""
    tagged = session.execute(
        sa.update(ValueSummary)
        .where(ValueSummary.id == summary_id,
               sa.or_(ValueSummary.job_id.is_(None), ValueSummary.job_id != job_id))
        .values(job_id=job_id)
        .execution_options(synchronize_session=False)
    )
    if tagged.rowcount == 1:
        session.execute(sa.update(Job).where(Job.id == job_id).values(done=Job.done + 1)
                        .execution_options(synchronize_session=False))


def _count_failed(session: Session, job_id: int, stakeholder_id: int | None, account_id: int,
                  exc: Exception) -> None:
    who = f"stakeholder {stakeholder_id}" if stakeholder_id else f"account {account_id} review"
    line = f"{who}: {type(exc).__name__}: {exc}"[:500] + "\n"
    session.execute(
        sa.update(Job).where(Job.id == job_id)
        .values(failed=Job.failed + 1, error=sa.func.coalesce(Job.error, "") + line)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _finish_if_complete(session: Session, job_id: int) -> None:
    session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status.in_(("queued", "running")),
               Job.done + Job.failed >= Job.total)
        .values(status=sa.case((Job.failed > 0, "failed"), else_="done"),
                finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )


# -- recovery -------------------------------------------------------------------------------


def missing_items(session: Session, job: Job) -> list[tuple[int, int | None]]:
    """The job's items that have not been counted as done (one query)."""
    done = {
        (a, s) for a, s in session.exec(
            select(ValueSummary.account_id, ValueSummary.stakeholder_id)
            .where(ValueSummary.job_id == job.id)
        ).all()
    }
    return [(a, s) for a, s in (job.params or {}).get("items", []) if (a, s) not in done]


def recover(app: Flask, huey: Huey, pending: Sequence[Task]) -> int:
    """Re-enqueue the items of unfinished batches that are neither done nor among the
    `pending` tasks of the queue. Returns how many were re-enqueued.

    Re-running an item that is in fact still in flight elsewhere is harmless (idempotent).
    """
    queued = {tuple(task.args[:3]) for task in pending
              if getattr(task, "name", "") == ITEM_TASK}
    count = 0
    with session_scope(app.extensions["valuetracker.engine"]) as session:
        jobs = session.exec(select(Job).where(Job.kind == JOB_KIND,
                                              Job.status.in_(("queued", "running")))).all()
        for job in jobs:
            lost = [(a, s) for a, s in missing_items(session, job)
                    if (job.id, a, s) not in queued]
            if lost:
                enqueue_job(app, job, lost)
                count += len(lost)
    return count
