"""Worker heartbeats: a real worker's row, the CLI with and without a worker, the notes
on the job pages."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from valuetracker.cli.summaries import NO_WORKER, WORKER_GONE
from valuetracker.jobs import get_huey
from valuetracker.models import Job, ValueSummary, WorkerHeartbeat, utcnow
from valuetracker.summaries.runs import create_summaries_job
from valuetracker.workers import (
    NO_WORKER_NOTE,
    alive_workers,
    any_worker_alive,
    record_heartbeat,
)

from .conftest import start_worker, stop_worker, wait_until

INTERVAL = 0.3  # the test workers' HEARTBEAT_INTERVAL: dead 0.9 s after the last beat
GENERATE = ["summaries", "generate", "--quarter", "2026-Q3"]


@pytest.fixture
def worker(queued_config: dict[str, Any], app: Flask, session: Session, tmp_path: Path
           ) -> Iterator[subprocess.Popen[bytes]]:
    """A running worker, seen alive."""
    proc = start_worker(queued_config, heartbeat_interval=INTERVAL, log=tmp_path / "worker.log")
    try:
        wait_until(lambda: alive_workers(session) or proc.poll() is not None,
                   what="the worker's heartbeat")
        assert proc.poll() is None, (tmp_path / "worker.log").read_text()
        yield proc
    finally:
        stop_worker(proc, signal.SIGKILL)


def _rows(session: Session) -> list[WorkerHeartbeat]:
    session.expire_all()
    return list(session.exec(select(WorkerHeartbeat)).all())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_worker_beats_and_removes_its_row_when_stopped(worker: subprocess.Popen[bytes],
                                                        session: Session, sig: int) -> None:
    (row,) = alive_workers(session)
    assert (row.hostname, row.pid) == (socket.gethostname(), worker.pid)
    assert row.started_at <= row.seen_at < row.expires_at
    first_seen = row.seen_at
    beat = wait_until(lambda: [r for r in _rows(session) if r.seen_at > first_seen],
                      timeout=5, what="a second beat")
    assert beat[0].id == row.id  # the same row, refreshed
    assert stop_worker(worker, sig) == 0
    assert _rows(session) == []
    assert not any_worker_alive(session)


def test_killed_worker_counts_as_dead_once_stale(worker: subprocess.Popen[bytes],
                                                 session: Session) -> None:
    stop_worker(worker, signal.SIGKILL)
    (row,) = _rows(session)  # nobody removed it
    wait_until(lambda: not any_worker_alive(session), timeout=INTERVAL * 3 + 2,
               what="the killed worker to count as dead")
    assert not row.is_alive() and alive_workers(session) == []


def test_long_dead_workers_are_forgotten(app: Flask, session: Session) -> None:
    long_ago = utcnow() - timedelta(days=2)
    record_heartbeat(session, worker_id="a" * 32, hostname="old-host", pid=1,
                     started_at=long_ago, interval=10, now=long_ago)
    session.commit()
    record_heartbeat(session, worker_id="b" * 32, hostname="new-host", pid=2,
                     started_at=utcnow(), interval=10)
    session.commit()
    assert [r.hostname for r in _rows(session)] == ["new-host"]
    assert any_worker_alive(session)


def _pdfs(app: Flask, session: Session) -> list[Path]:
    reports = Path(app.config["REPORTS_DIR"])
    return [reports / s.file_path for s in session.exec(select(ValueSummary)).all()]


def test_generate_without_a_worker_runs_in_this_process(queued_config: dict[str, Any], app: Flask,
                                                        runner: Any, session: Session,
                                                        cast: object) -> None:
    result = runner.invoke(args=GENERATE)
    assert result.exit_code == 0, result.output
    assert NO_WORKER in result.output and "queued" not in result.output
    assert "Generating" in result.output and "Finished: 2 of 2 done" in result.output
    job = session.exec(select(Job)).one()
    assert (job.status, job.done, job.failed, job.total) == ("done", 2, 0, 2)
    pdfs = _pdfs(app, session)
    assert len(pdfs) == 2 and all(p.is_file() and p.stat().st_size > 0 for p in pdfs)
    assert get_huey(app).pending_count() == 0  # nothing was put on the queue


def test_generate_without_a_worker_exits_non_zero_on_a_failed_item(
        queued_config: dict[str, Any], app: Flask, runner: Any, cast: object) -> None:
    folder = Path(app.config["REPORTS_DIR"]) / "2026-Q3"
    folder.mkdir(parents=True)
    (folder / "acme-corp").write_text("in the way")
    result = runner.invoke(args=GENERATE)
    assert result.exit_code == 1
    assert "Finished with errors: 1 of 2 done, 1 failed" in result.output


def test_no_wait_without_a_worker_refuses_and_creates_no_job(
        queued_config: dict[str, Any], app: Flask, runner: Any, session: Session,
        cast: object) -> None:
    result = runner.invoke(args=[*GENERATE, "--no-wait"])
    assert result.exit_code != 0
    assert "No worker is running" in result.output and "valuetracker worker" in result.output
    assert session.exec(select(Job)).all() == []
    assert get_huey(app).pending_count() == 0


def test_generate_with_a_worker_goes_through_the_queue(worker: subprocess.Popen[bytes],
                                                       app: Flask, runner: Any,
                                                       session: Session, cast: object,
                                                       tmp_path: Path) -> None:
    result = runner.invoke(args=GENERATE)
    assert result.exit_code == 0, result.output
    assert "Job 1: 2 summaries queued." in result.output
    assert NO_WORKER not in result.output and WORKER_GONE not in result.output
    assert "Finished: 2 of 2 done" in result.output
    assert all(p.is_file() for p in _pdfs(app, session))
    # The worker ran both items (Huey logs each task it executes).
    log = (tmp_path / "worker.log").read_text()
    assert log.count("Executing valuetracker.jobs.summaries.item") == 2


def test_generate_takes_over_when_the_worker_goes_away(queued_config: dict[str, Any], app: Flask,
                                                       runner: Any, session: Session,
                                                       cast: object) -> None:
    # A worker that beat once and then vanished: alive for 3 more seconds.
    record_heartbeat(session, worker_id="c" * 32, hostname="gone", pid=1,
                     started_at=utcnow(), interval=1)
    session.commit()
    result = runner.invoke(args=GENERATE)
    assert result.exit_code == 0, result.output
    assert "Job 1: 2 summaries queued." in result.output and WORKER_GONE in result.output
    assert "Finished: 2 of 2 done" in result.output
    job = session.exec(select(Job)).one()
    assert (job.status, job.done, job.failed) == ("done", 2, 0)
    pdfs = _pdfs(app, session)
    before = {p: p.stat().st_mtime_ns for p in pdfs}

    # The queued copies, run later by a worker, find the job finished and do nothing.
    huey = get_huey(app)
    assert huey.pending_count() == 2
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    session.expire_all()
    again = session.get(Job, job.id)
    assert again is not None
    assert (again.status, again.done, again.failed, again.finished_at) == (
        "done", 2, 0, job.finished_at)
    assert len(session.exec(select(ValueSummary)).all()) == 2
    assert {p: p.stat().st_mtime_ns for p in pdfs} == before


def test_job_page_says_no_worker_is_running(app: Flask, session: Session, cast: Any,
                                            login_as: Any) -> None:
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account1.id],
                               user_id=cast.leader.id)
    session.commit()
    client = login_as(cast.leader)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert NO_WORKER_NOTE in page and "data-job-note" in page
    assert client.get(f"/jobs/{job.id}.json").get_json()["note"] == NO_WORKER_NOTE

    record_heartbeat(session, worker_id="d" * 32, hostname="here", pid=1,
                     started_at=utcnow(), interval=10)
    session.commit()
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert NO_WORKER_NOTE not in page and "data-job-note" in page  # hidden, for the script
    assert "note" not in client.get(f"/jobs/{job.id}.json").get_json()


def test_finished_job_has_no_note(app: Flask, session: Session, cast: Any,
                                  login_as: Any) -> None:
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=[cast.account1.id],
                               user_id=cast.leader.id)
    job.status = "done"
    session.commit()
    client = login_as(cast.leader)
    assert NO_WORKER_NOTE not in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "note" not in client.get(f"/jobs/{job.id}.json").get_json()


def test_export_page_says_no_worker_is_running(app: Flask, session: Session, cast: Any,
                                               login_as: Any) -> None:
    from valuetracker.exports.runs import create_export_job

    job = create_export_job(session, user=cast.leader, quarter="2026-Q3", fmt="xlsx")
    session.commit()
    client = login_as(cast.leader)
    page = client.get(f"/exports/{job.id}").get_data(as_text=True)
    assert NO_WORKER_NOTE in page and f'data-job-url="/exports/{job.id}.json"' in page
    assert client.get(f"/exports/{job.id}.json").get_json()["note"] == NO_WORKER_NOTE
    record_heartbeat(session, worker_id="e" * 32, hostname="here", pid=1,
                     started_at=utcnow(), interval=10)
    session.commit()
    assert NO_WORKER_NOTE not in client.get(f"/exports/{job.id}").get_data(as_text=True)
    assert "note" not in client.get(f"/exports/{job.id}.json").get_json()
