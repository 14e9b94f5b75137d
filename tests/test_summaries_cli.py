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


def test_generate_and_send_as_the_readme_shows(smtp: Any, app_config: dict[str, Any],
                                               app: Flask, session: Session,
                                               cast: object) -> None:
    """`valuetracker summaries generate --quarter Q [--account SLUG]... --send`, the
    console script itself with no worker running: it sends the quarter's summary to the
    people the coverage page counts, names everyone else, and coverage reaches 100%."""
    import subprocess
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from valuetracker.quarters import parse_quarter
    from valuetracker.summaries.coverage import portfolio_coverage

    from .conftest import VENV_BIN, worker_env
    from .factories import make_account, make_stakeholder

    c = cast  # type: ignore[assignment]
    make_stakeholder(session, c.account1, "Grace Hopper", is_key=True,
                     opted_out_at=datetime(2026, 10, 2, tzinfo=UTC))
    make_stakeholder(session, c.account1, "Nora Nomail", is_key=True, email=None)
    trey = make_account(session, "Trey Research", status="churned")
    for name in ("Tom Trey", "Tina Trey", "Ted Trey"):
        make_stakeholder(session, trey, name, is_key=True)
    session.commit()

    def valuetracker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(VENV_BIN / "valuetracker"), *args], env=worker_env(app_config),
                              capture_output=True, text=True, timeout=180, check=False)

    done = valuetracker("summaries", "generate", "--quarter", "2026-Q3", "--send")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No worker is running" in done.stdout
    assert "Not in the send: Trey Research (churned): 3 key stakeholders" in done.stdout
    assert "Not in the send: Grace Hopper (Acme Corp): opted out on 2026-10-02" in done.stdout
    assert "Not in the send: Nora Nomail (Acme Corp): no email address" in done.stdout
    assert "Finished: 2 of 2 done" in done.stdout
    assert sorted(r for rcpts, _m in smtp.messages for r in rcpts) == sorted(
        [c.stakeholder1.email, c.stakeholder2.email])
    figure = portfolio_coverage(session, parse_quarter("2026-Q3"), sa.true())
    assert (figure.sent, figure.eligible, figure.rate) == (2, 2, 1)

    # One account by slug, the quarter as typed: only that account's people, that quarter.
    done = valuetracker("summaries", "generate", "--quarter", "2026q4", "--account",
                        "acme-corp", "--account", "trey-research", "--send")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Not in the send: Trey Research (churned): 3 key stakeholders" in done.stdout
    assert "Finished: 1 of 1 done" in done.stdout
    assert [r for rcpts, _m in smtp.messages[2:] for r in rcpts] == [c.stakeholder1.email]
    session.expire_all()
    assert sorted(session.exec(select(ValueSummary.quarter)).all()) == [
        "2026-Q3", "2026-Q3", "2026-Q4"]
