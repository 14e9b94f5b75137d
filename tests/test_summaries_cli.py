"""`valuetracker summaries generate`: progress, exit codes, --no-wait, --send.

Without a worker (tests/test_workers.py) the command generates in its own process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session, select

from valuetracker.models import Distribution, Job, ValueSummary


def test_generate_shows_progress_and_exits_zero(app: Flask, runner: Any, session: Session,
                                                cast: object) -> None:
    result = runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3",
                                 "--account", "acme-corp"])
    assert result.exit_code == 0, result.output
    assert "Job 1: 1 summaries queued." in result.output
    assert "Generating" in result.output and "Finished: 1 of 1 done" in result.output
    assert len(session.exec(select(ValueSummary)).all()) == 1


def test_generate_all_active_accounts_and_send(app: Flask, runner: Any, session: Session,
                                               cast: object) -> None:
    result = runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3", "--send"])
    assert result.exit_code == 0, result.output
    assert len(session.exec(select(Distribution).where(Distribution.status == "sent")).all()) == 2
    assert len(list(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))) == 2


def test_failed_item_exits_non_zero(app: Flask, runner: Any, cast: object) -> None:
    folder = Path(app.config["REPORTS_DIR"]) / "2026-Q3"
    folder.mkdir(parents=True)
    (folder / "acme-corp").write_text("in the way")
    result = runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3"])
    assert result.exit_code == 1
    assert "Finished with errors: 1 of 2 done, 1 failed" in result.output


def test_no_wait_returns_with_job_queued(app_config: dict[str, Any], cast: object) -> None:
    from valuetracker import create_app
    from valuetracker.models import utcnow
    from valuetracker.workers import record_heartbeat

    app_config["HUEY_IMMEDIATE"] = False
    app = create_app(app_config)
    with Session(app.extensions["valuetracker.engine"]) as session:  # a worker is running
        record_heartbeat(session, worker_id="f" * 32, hostname="worker-host", pid=1,
                         started_at=utcnow(), interval=60)
        session.commit()
    result = app.test_cli_runner().invoke(
        args=["summaries", "generate", "--quarter", "2026-Q3", "--no-wait"])
    assert result.exit_code == 0, result.output
    with Session(app.extensions["valuetracker.engine"]) as session:
        job = session.exec(select(Job)).one()
        assert (job.status, job.total) == ("queued", 2)
    from valuetracker.jobs import get_huey

    assert get_huey(app).pending_count() == 2
    get_huey(app).flush()
    app.extensions["valuetracker.engine"].dispose()


def test_bad_arguments(app: Flask, runner: Any, cast: object) -> None:
    assert runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q7"]).exit_code == 2
    result = runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3",
                                 "--account", "nope"])
    assert result.exit_code == 2 and "unknown account" in result.output
    result = runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3",
                                 "--variant", "internal", "--send"])
    assert result.exit_code == 2
    result = runner.invoke(args=["summaries", "generate", "--quarter", "2026-Q3",
                                 "--variant", "internal"])
    assert result.exit_code == 0 and "Finished: 2 of 2 done" in result.output
