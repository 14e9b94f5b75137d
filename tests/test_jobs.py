"""The job queue: a real worker killed mid-batch and restarted, the Redis queue, recovery."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from valuetracker.jobs import get_huey, job_message, recover_jobs
from valuetracker.models import DELIVERY_UNKNOWN, Distribution, Job, ValueSummary
from valuetracker.summaries.runs import create_summaries_job, enqueue_job

from .conftest import Inbox, start_worker, stop_worker
from .factories import make_stakeholder


def _wait_for(session: Session, job_id: int, predicate: Any, timeout: float = 120) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.expire_all()
        job = session.get(Job, job_id)
        assert job is not None
        if predicate(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not get there: {job_message(job)}")


def test_killed_worker_resumes_without_duplicates(queued_config: dict[str, Any], smtp: Inbox,
                                                  app: Flask, session: Session,
                                                  cast: object) -> None:
    account = cast.account1  # type: ignore[attr-defined]
    for n in range(7):
        make_stakeholder(session, account, f"Key Person {n}", is_key=True)
    session.commit()
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[account.id], send=True)
    session.commit()
    enqueue_job(app, job)
    assert len(get_huey(app).pending()) == 8

    worker = start_worker(dict(app.config), workers=2)
    try:
        _wait_for(session, job.id, lambda j: j.done >= 2)
    finally:
        stop_worker(worker, signal.SIGKILL)
    midway = _wait_for(session, job.id, lambda j: True)
    assert midway.status == "running" and midway.done < 8

    worker = start_worker(dict(app.config), workers=2)
    try:
        finished = _wait_for(session, job.id, lambda j: j.status in ("done", "failed"))
    finally:
        stop_worker(worker, signal.SIGTERM)
    assert (finished.status, finished.done, finished.failed, finished.total) == (
        "done", 8, 0, 8)
    summaries = session.exec(select(ValueSummary)).all()
    assert len(summaries) == 8
    folder = Path(app.config["REPORTS_DIR"]) / "2026-Q3" / "acme-corp"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        Path(s.file_path).name for s in summaries)
    # The summaries' mails (the account team's notification mails are not part of this).
    recipients = [r for rcpts, m in smtp.messages for r in rcpts
                  if m["Subject"].startswith("Your value summary")]
    assert len(recipients) == len(set(recipients))  # nobody twice
    statuses = [d.status for d in session.exec(select(Distribution)).all()]
    # A worker process killed mid-item leaves its claimed sending pending, never resent;
    # its mail may or may not have left before the kill, so the restarted worker's
    # recovery marks it delivery unknown for a person to resolve. Two processes were killed.
    assert len(statuses) == 8 and set(statuses) <= {"sent", DELIVERY_UNKNOWN}
    sent, unknown = statuses.count("sent"), statuses.count(DELIVERY_UNKNOWN)
    assert unknown <= 2 and sent <= len(recipients) <= sent + unknown


def test_queued_items_keep_the_task_name_of_earlier_versions(queued_config: dict[str, Any],
                                                              app: Flask, session: Session,
                                                              cast: object) -> None:
    # The queue stores a task by its name; items queued by a version before the batch
    # moved to summaries/runs.py carry this one, and must still run after an upgrade.
    job = create_summaries_job(session, quarter="2026-Q3",
                               account_ids=[cast.account1.id])  # type: ignore[attr-defined]
    session.commit()
    huey = get_huey(app)
    enqueue_job(app, job)
    stored = [huey.serializer.deserialize(raw) for raw in huey.storage.enqueued_items()]
    assert [message.name for message in stored] == ["valuetracker.jobs.summaries.item"]
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    session.refresh(job)
    assert (job.status, job.done) == ("done", 1)


def test_recover_requeues_only_lost_items(queued_config: dict[str, Any], app: Flask,
                                          session: Session, cast: object) -> None:
    account = cast.account1  # type: ignore[attr-defined]
    make_stakeholder(session, account, "Second Key", is_key=True)
    session.commit()
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[account.id])
    session.commit()
    huey = get_huey(app)
    enqueue_job(app, job)
    assert recover_jobs(app) == 0  # both still waiting in the queue
    huey.dequeue()  # a worker took one and died
    assert recover_jobs(app) == 1
    assert len(huey.pending()) == 2
    huey.flush()


def test_recover_rebuilds_an_export_whose_worker_died(queued_config: dict[str, Any], app: Flask,
                                                       session: Session, cast: object) -> None:
    from valuetracker.exports.runs import create_export_job
    from valuetracker.models import utcnow

    leader = cast.leader  # type: ignore[attr-defined]
    waiting = create_export_job(session, user=leader, quarter="2026-Q3", fmt="csv")
    cut_off = create_export_job(session, user=leader, quarter="2026-Q3", fmt="xlsx")
    finished = create_export_job(session, user=leader, quarter="2026-Q2", fmt="xlsx")
    finished.status = "done"
    session.commit()
    huey = get_huey(app)
    huey.export_build(waiting.id)  # still in the queue: left alone
    # The worker building `cut_off` was killed: running, and no longer in the queue.
    cut_off.status, cut_off.started_at = "running", utcnow()
    session.commit()

    assert recover_jobs(app) == 1
    assert sorted(t.args[0] for t in huey.pending()) == sorted([waiting.id, cut_off.id])
    assert recover_jobs(app) == 0  # now it waits in the queue too
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    for job in (waiting, cut_off):
        session.refresh(job)
        assert job.status == "done" and Path(job.result["path"]).is_file()
    session.refresh(finished)
    assert finished.status == "done" and finished.result is None


def test_recover_does_not_rebuild_an_export_asked_for_long_ago(
        queued_config: dict[str, Any], app: Flask, session: Session, cast: object) -> None:
    from datetime import timedelta

    from valuetracker.exports.runs import RECOVERY_WINDOW, create_export_job
    from valuetracker.models import utcnow

    old = create_export_job(session, user=cast.leader,  # type: ignore[attr-defined]
                            quarter="2026-Q3", fmt="xlsx")
    old.status = "running"
    old.created_at = utcnow() - RECOVERY_WINDOW - timedelta(minutes=1)
    session.commit()
    assert recover_jobs(app) == 0
    assert get_huey(app).pending() == []
    session.refresh(old)
    assert old.status == "failed" and "build it again" in (old.error or "")


@pytest.fixture
def redis_app(app_config: dict[str, Any], redis_url: str) -> Iterator[dict[str, Any]]:
    app_config.update(REDIS_URL=redis_url, HUEY_IMMEDIATE=False,
                      HUEY_NAME=f"vt-test-{uuid.uuid4().hex[:8]}")
    yield app_config


def test_redis_queue_runs_a_batch(redis_app: dict[str, Any], app: Flask, session: Session,
                                  cast: object) -> None:
    huey = get_huey(app)
    assert type(huey).__name__ == "RedisHuey"
    try:
        job = create_summaries_job(session, quarter="2026-Q3",
                                   account_ids=[cast.account1.id, cast.account2.id])  # type: ignore
        session.commit()
        enqueue_job(app, job)
        assert huey.pending_count() == 2
        # Consume from Redis the way a worker does.
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
        finished = _wait_for(session, job.id, lambda j: j.status == "done", timeout=5)
        assert finished.done == 2
        assert len(session.exec(select(ValueSummary)).all()) == 2
    finally:
        huey.flush()  # only this queue's own keys


def test_recover_reruns_a_lost_bulk_action_and_gives_up_one_that_sends_mail(
        queued_config: dict[str, Any], app: Flask, session: Session, cast: object) -> None:
    """A bulk job whose worker died runs again; one that e-mails people is marked failed
    instead (its links may have left already), as is one asked for too long ago."""
    from datetime import timedelta

    from valuetracker.bulk.actions import ACCOUNTS, PEOPLE
    from valuetracker.bulk.runs import RECOVERY_WINDOW, create_bulk_job
    from valuetracker.models import utcnow

    admin = cast.admin  # type: ignore[attr-defined]
    account = cast.account1  # type: ignore[attr-defined]
    person = make_stakeholder(session, account, "Lost Mail", is_key=True)

    def job(bulk_list: Any, action: str, ids: list[int], status: str = "running") -> Any:
        made = create_bulk_job(session, user=admin, bulk_list=bulk_list,
                               action=bulk_list.action(action), ids=ids, value=None,
                               change="", back="/accounts")
        made.status = status
        return made

    archive = job(ACCOUNTS, "archive", [account.id])
    mail = job(PEOPLE, "request_pulse", [person.id])
    old = job(ACCOUNTS, "archive", [account.id], status="queued")
    old.created_at = utcnow() - RECOVERY_WINDOW - timedelta(minutes=1)
    session.commit()

    assert recover_jobs(app) == 1
    assert [t.args[0] for t in get_huey(app).pending()] == [archive.id]
    for given_up in (mail, old):
        session.refresh(given_up)
        assert given_up.status == "failed" and "Start it again" in (given_up.error or "")
    get_huey(app).flush()
