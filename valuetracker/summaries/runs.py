"""Summaries batches: one Job per batch, one Huey task per item.

The web and `valuetracker summaries generate` create the same job
(`create_summaries_job`) and put its items on the queue (`enqueue_job`). A batch is
one task per item, so several worker processes render in parallel. Each item is
idempotent (upsert of the summary, claimed Distribution), and progress is counted
exactly once per item: the item's summary row gets the job's id in the same
transaction that increments `Job.done`, only if it did not have it yet. A failed
item is retried by Huey; on its last try the failure is recorded on the Job and the
rest of the batch goes on.

Each item, when it starts, records in the job's `result["claims"]` which worker
(heartbeat id, `valuetracker.workers`) runs it and since when; counting it done or
failed removes the claim in the same transaction. Failures are kept per item in
`result["failed"]`, so an item run twice is never counted twice: done + failed never
exceeds total, and the job closes only once every item has ended (an item waiting
for Huey's retry is not counted yet).

Items lost by a killed worker (Huey's SQLite and Redis queues remove a task when it
starts) are those neither counted, nor waiting in the queue or its retry schedule,
nor claimed by a live worker. `recover` re-enqueues them when a worker starts
(`jobs.recover_jobs`), and `take_over_lost` does so while workers run: the oldest
live worker checks at each heartbeat (`jobs.LostWorkCheck`), so a node killed with
`kill -9` has its items taken over within a minute, without any restart. A sending
such an item had claimed is marked "delivery unknown" (`send.mark_unknown`), never
sent again automatically.

`create_retry_job` makes a new job of a finished job's failed items ("retry the
failed ones"): they are generated if need be and sent, the others are left alone.

With no worker alive (`valuetracker.workers`), the CLI runs a job's items in its own
process with `run_summary_item_here`, and takes over a queued job whose workers went
away. The copies of those items left in the queue do nothing once the job is finished
(and before that, an item run twice is counted once).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from huey import Huey
from huey.api import Task
from sqlmodel import Session, select

from ..db import session_scope
from ..jobs import FINISHED, get_huey
from ..models import (
    Account,
    Job,
    User,
    ValueSummary,
    WorkerHeartbeat,
    utcnow,
)
from ..quarters import parse_quarter

log = logging.getLogger(__name__)

JOB_KIND = "summaries"
ITEM_TASK = "summaries.item"
# Huey names a task "<module of its function>.<name>" in the queue. This task was
# defined in `valuetracker.jobs` before it moved here, and items queued then must still
# run after an upgrade, so it keeps that module in its name.
ITEM_TASK_MODULE = "valuetracker.jobs"
# A claim older than this counts as lost even if its worker still beats (a worker
# process killed alone, its node alive): the JOB_ITEM_LEASE setting, in seconds.
DEFAULT_ITEM_LEASE = 15 * 60


def item_key(account_id: int, stakeholder_id: int | None) -> str:
    """An item's key in the job's `result` (claims, failed)."""
    return f"{account_id}:{'' if stakeholder_id is None else stakeholder_id}"


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
    """Ids of the accounts to summarise: the given slugs (whatever their status), or
    every account whose key stakeholders are in the send (`scope.py`: the active ones)."""
    from .scope import send_account_condition

    query = select(Account.id)
    query = query.where(Account.slug.in_(slugs)) if slugs else query.where(
        send_account_condition())
    return list(session.exec(query.order_by(Account.name)).all())


def create_summaries_job(
    session: Session,
    *,
    quarter: str,
    account_ids: list[int] | None,
    variant: str = "stakeholder",
    send: bool = False,
    regenerate: bool = True,
    user_id: int | None = None,
) -> Job:
    """A queued Job with the batch's items and who is not in the send (the caller commits).

    `account_ids` None is the whole portfolio: every active account, and every account
    that is not active named in the result with its number of key stakeholders. The
    result's `skipped` (people, with why) and `excluded_accounts` are the coverage
    page's exclusions (`generate.plan_batch`). Enqueue with `enqueue_job` after the
    commit, so workers can see the row.
    """
    from .generate import plan_batch

    portfolio = account_ids is None
    account_ids = active_account_ids(session) if account_ids is None else account_ids
    plan = plan_batch(session, account_ids, variant, portfolio=portfolio)
    job = Job(
        kind=JOB_KIND,
        total=len(plan.items),
        created_by_id=user_id,
        params={"quarter": quarter, "variant": variant, "send": send,
                "regenerate": regenerate, "account_ids": account_ids,
                "portfolio": portfolio,
                "items": [[i.account_id, i.stakeholder_id] for i in plan.items]},
        result={"skipped": [s.as_dict() for s in plan.skipped],
                "excluded_accounts": [a.as_dict() for a in plan.excluded]},
    )
    if not plan.items:
        job.status, job.finished_at = "done", utcnow()
    session.add(job)
    session.flush()
    return job


def start_summaries_job(session: Session, *, quarter: str, account_ids: list[int] | None,
                        variant: str, send: bool, regenerate: bool, user: User,
                        summary: str) -> Job:
    """A batch started by a user (the web's buttons, the API): the job of
    `create_summaries_job` and its audit event (the caller commits, then `enqueue_job`)."""
    from .. import audit

    job = create_summaries_job(session, quarter=quarter, account_ids=account_ids,
                               variant=variant, send=send, regenerate=regenerate,
                               user_id=user.id)
    audit.record(session, "create", "job", job.id, summary, user=user,
                 details={"quarter": quarter, "accounts": job.params["account_ids"],
                          "send": send})
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
    from .send import in_flight, send_summary

    engine = app.extensions["valuetracker.engine"]
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status in FINISHED:
            return
        params = job.params or {}
        if job.status == "queued":  # the first item; the others skip this write
            _mark_running(session, job_id)
        if _item_counted(session, job, account_id, stakeholder_id):
            # A copy of an item already counted (re-enqueued while it was running).
            _finish_if_complete(session, job_id)
            session.commit()
            return
        _claim_item(session, job_id, item_key(account_id, stakeholder_id),
                    app.config.get("WORKER_ID"))
        try:
            quarter = parse_quarter(params["quarter"], int(app.config["FISCAL_YEAR_START_MONTH"]))
            summary = generate_one(session, account_id=account_id, stakeholder_id=stakeholder_id,
                                   quarter=quarter, variant=params.get("variant", "stakeholder"),
                                   user_id=job.created_by_id,
                                   regenerate=bool(params.get("regenerate", True)))
            session.commit()
            if params.get("send") and summary.stakeholder_id is not None and \
                    in_flight(send_summary(session, summary)):
                # Another run holds the sending and is delivering it now: this is a copy
                # re-enqueued while that run was starting. The sender counts the item; this
                # run's claim stands for it until the lease lapses, and if the sender has
                # died by then, recovery marks the sending delivery unknown and requeues.
                # A sending pending for longer than that (left by a worker that died in an
                # earlier batch) is delivery unknown, not in flight: the item counts.
                session.commit()
                return
            _count_done(session, job_id, summary.id, item_key(account_id, stakeholder_id))
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


def _lock_job(session: Session, job_id: int) -> Job | None:
    """The job's row, write-locked until the caller commits (its `result` is then read,
    changed and written back safely by parallel workers).

    The no-op UPDATE comes first in the transaction: PostgreSQL locks the row, SQLite
    takes the database's write lock (waiting its busy timeout), before the read."""
    session.execute(sa.update(Job).where(Job.id == job_id).values(kind=Job.kind)
                    .execution_options(synchronize_session=False))
    return session.exec(select(Job).where(Job.id == job_id)
                        .execution_options(populate_existing=True)).first()


def _with_result(job: Job, **changes: object) -> None:
    # A new dict: the JSON column does not track changes made inside the old one.
    job.result = {**(job.result or {}), **changes}


def _item_counted(session: Session, job: Job, account_id: int,
                  stakeholder_id: int | None) -> bool:
    """Whether the item is counted done already (its summary carries the job's id)."""
    stakeholder_match = (ValueSummary.stakeholder_id.is_(None) if stakeholder_id is None
                         else ValueSummary.stakeholder_id == stakeholder_id)
    return session.exec(select(ValueSummary.id).where(
        ValueSummary.job_id == job.id, ValueSummary.account_id == account_id,
        stakeholder_match, ValueSummary.variant == (job.params or {}).get(
            "variant", "stakeholder"))).first() is not None


def _claim_item(session: Session, job_id: int, key: str, worker_id: str | None) -> None:
    """Record that this worker runs the item now (commits)."""
    job = _lock_job(session, job_id)
    if job is not None:
        claims = dict((job.result or {}).get("claims", {}))
        claims[key] = {"worker": worker_id, "host": socket.gethostname(), "pid": os.getpid(),
                       "at": utcnow().isoformat()}
        _with_result(job, claims=claims)
        session.add(job)
    session.commit()


def _count_done(session: Session, job_id: int, summary_id: int, key: str) -> None:
    """Count the item once: tag the summary with the job only if not tagged yet; drop
    its claim, and its failure if a copy of it had failed.

    The caller commits, with `_finish_if_complete` in the same transaction."""
    job = _lock_job(session, job_id)
    tagged = session.execute(
        sa.update(ValueSummary)
        .where(ValueSummary.id == summary_id,
               sa.or_(ValueSummary.job_id.is_(None), ValueSummary.job_id != job_id))
        .values(job_id=job_id)
        .execution_options(synchronize_session=False)
    )
    if job is None:
        return
    claims = dict((job.result or {}).get("claims", {}))
    failed = dict((job.result or {}).get("failed", {}))
    claims.pop(key, None)
    if tagged.rowcount == 1:
        job.done += 1
        if failed.pop(key, None) is not None:
            job.failed -= 1
    _with_result(job, claims=claims, failed=failed)
    session.add(job)
    session.flush()


def _count_failed(session: Session, job_id: int, stakeholder_id: int | None, account_id: int,
                  exc: Exception) -> None:
    """Count the item's failure once (commits); not at all if a copy of it was counted
    done."""
    job = _lock_job(session, job_id)
    if job is None:
        session.commit()
        return
    key = item_key(account_id, stakeholder_id)
    claims = dict((job.result or {}).get("claims", {}))
    failed = dict((job.result or {}).get("failed", {}))
    claims.pop(key, None)
    if key not in failed and not _item_counted(session, job, account_id, stakeholder_id):
        who = f"stakeholder {stakeholder_id}" if stakeholder_id else \
            f"account {account_id} review"
        error = f"{type(exc).__name__}: {exc}"[:500]
        failed[key] = {"account_id": account_id, "stakeholder_id": stakeholder_id,
                       "error": error}
        job.failed += 1
        job.error = (job.error or "") + f"{who}: {error}\n"
    _with_result(job, claims=claims, failed=failed)
    session.add(job)
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
    """The job's items that have not ended: neither counted done (one query) nor
    counted failed."""
    done = {
        (a, s) for a, s in session.exec(
            select(ValueSummary.account_id, ValueSummary.stakeholder_id)
            .where(ValueSummary.job_id == job.id)
        ).all()
    }
    failed = (job.result or {}).get("failed", {})
    return [(a, s) for a, s in (job.params or {}).get("items", [])
            if (a, s) not in done and item_key(a, s) not in failed]


def item_lease(app: Flask) -> timedelta:
    return timedelta(seconds=float(app.config.get("JOB_ITEM_LEASE", DEFAULT_ITEM_LEASE)))


def lost_items(session: Session, job: Job, queued: set[tuple[int, int, int | None]],
               live: set[str], *, lease: timedelta, now: datetime | None = None
               ) -> list[tuple[int, int | None]]:
    """The job's items that nobody will run: not ended, not in the queue or its retry
    schedule (`queued`: (job, account, stakeholder) of its tasks), and not claimed by a
    live worker within `lease`."""
    now = now or utcnow()
    claims = (job.result or {}).get("claims", {})
    lost = []
    for a, s in missing_items(session, job):
        if (job.id, a, s) in queued:
            continue
        claim = claims.get(item_key(a, s))
        if claim and claim.get("worker") in live and \
                now - datetime.fromisoformat(claim["at"]) < lease:
            continue  # running right now
        lost.append((a, s))
    return lost


def _queued_items(tasks: Sequence[Task]) -> set[tuple[int, int, int | None]]:
    return {tuple(task.args[:3]) for task in tasks  # type: ignore[misc]
            if getattr(task, "name", "") == ITEM_TASK}


def _live_worker_ids(session: Session) -> set[str]:
    return set(session.exec(select(WorkerHeartbeat.id)
                            .where(WorkerHeartbeat.expires_at > utcnow())).all())


def _requeue(app: Flask, session: Session, job: Job, items: list[tuple[int, int | None]]
             ) -> None:
    """Mark the sendings the lost items had claimed as delivery unknown, then put the
    items back on the queue."""
    from .send import mark_unknown

    quarter = (job.params or {}).get("quarter", "")
    mark_unknown(session, job, items, quarter=quarter,
                 variant=(job.params or {}).get("variant", "stakeholder"))
    session.commit()
    enqueue_job(app, job, items)


def abandon_claims(session: Session, job: Job) -> int:
    """When every worker has gone (the CLI takes over): the sendings that items still
    claimed had begun become delivery unknown, not sent again. The caller commits."""
    from .send import mark_unknown

    claims = (job.result or {}).get("claims", {})
    items = [(a, s) for a, s in missing_items(session, job) if item_key(a, s) in claims]
    return mark_unknown(session, job, items, quarter=(job.params or {}).get("quarter", ""),
                        variant=(job.params or {}).get("variant", "stakeholder"))


def recover(app: Flask, huey: Huey, pending: Sequence[Task]) -> int:
    """Re-enqueue the lost items of unfinished batches (`lost_items`; `pending` is what
    waits in the queue and in its retry schedule). Returns how many were re-enqueued.

    Run when a worker starts. Re-running an item that is in fact still in flight
    elsewhere is harmless (idempotent, counted once).
    """
    queued = _queued_items(pending)
    count = 0
    with session_scope(app.extensions["valuetracker.engine"]) as session:
        live = _live_worker_ids(session)
        jobs = session.exec(select(Job).where(Job.kind == JOB_KIND,
                                              Job.status.in_(("queued", "running")))).all()
        for job in jobs:
            lost = lost_items(session, job, queued, live, lease=item_lease(app))
            if lost:
                _requeue(app, session, job, lost)
                count += len(lost)
    return count


def take_over_lost(app: Flask, huey: Huey, engine: sa.Engine,
                   suspects: dict[tuple[int, int, int | None], float], *, now: float,
                   settle: float) -> int:
    """Re-enqueue the items of running batches that have been lost for `settle` seconds
    (`suspects`: when each was first seen lost, kept by the caller between checks, as
    a task is briefly in no list between the queue and its claim). Returns how many.

    Run by the oldest live worker at each heartbeat (`jobs.LostWorkCheck`), on its own
    engine (the worker's processes must not share pooled connections)."""
    queued = _queued_items([*huey.pending(), *huey.scheduled()])
    seen: set[tuple[int, int, int | None]] = set()
    count = 0
    with Session(engine) as session:
        live = _live_worker_ids(session)
        jobs = session.exec(select(Job).where(Job.kind == JOB_KIND,
                                              Job.status == "running")).all()
        for job in jobs:
            assert job.id is not None
            ripe = []
            for a, s in lost_items(session, job, queued, live, lease=item_lease(app)):
                seen.add((job.id, a, s))
                if now - suspects.setdefault((job.id, a, s), now) >= settle:
                    ripe.append((a, s))
            if ripe:
                log.warning("job %s: taking over %d item(s) lost by a stopped worker",
                            job.id, len(ripe))
                _requeue(app, session, job, ripe)
                for a, s in ripe:
                    suspects.pop((job.id, a, s), None)
                    seen.discard((job.id, a, s))
                count += len(ripe)
    for key in set(suspects) - seen:
        del suspects[key]
    return count

