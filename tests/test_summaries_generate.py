"""Generating a batch: files, ValueSummary rows, skipped stakeholders, job progress."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlmodel import Session, select

from valuetracker.models import Job, ValueSummary
from valuetracker.quarters import parse_quarter
from valuetracker.summaries.data import summary_data
from valuetracker.summaries.generate import generate_one, plan_batch
from valuetracker.summaries.runs import create_summaries_job, enqueue_job, missing_items

from .conftest import sql_statements
from .factories import make_stakeholder
from .factories.scenarios import seed_account_value


def _run_job(app: Flask, session: Session, account_ids: list[int], **kw: object) -> Job:
    job = create_summaries_job(session, quarter="2026-Q3", account_ids=account_ids, **kw)
    session.commit()
    enqueue_job(app, job)  # HUEY_IMMEDIATE: runs now
    session.expire_all()
    result = session.get(Job, job.id)
    assert result is not None
    return result


def test_batch_writes_one_pdf_per_active_key_stakeholder(app: Flask, session: Session,
                                                         cast: object) -> None:
    account = cast.account1  # type: ignore[attr-defined]
    seed_account_value(session, account, cast.stakeholder1)  # type: ignore[attr-defined]
    second = make_stakeholder(session, account, "Gina Key", is_key=True, buying_role="user")
    make_stakeholder(session, account, "Not Key", is_key=False)
    make_stakeholder(session, account, "Otto Optout", is_key=True,
                     opted_out_at=datetime(2026, 1, 1, tzinfo=UTC))
    make_stakeholder(session, account, "Lee Left", is_key=True,
                     left_company_at=datetime(2026, 1, 1, tzinfo=UTC))
    make_stakeholder(session, account, "Erin Erased", is_key=True,
                     erased_at=datetime(2026, 1, 1, tzinfo=UTC))
    session.commit()

    job = _run_job(app, session, [account.id])
    assert (job.status, job.total, job.done, job.failed) == ("done", 2, 2, 0)
    assert {s["name"]: s["reason"] for s in job.result["skipped"]} == {
        "Otto Optout": "opted out", "Lee Left": "left the company"}
    rows = session.exec(select(ValueSummary).order_by(ValueSummary.stakeholder_id)).all()
    assert [r.stakeholder_id for r in rows] == [cast.stakeholder1.id, second.id]  # type: ignore
    reports = Path(app.config["REPORTS_DIR"])
    for row in rows:
        assert row.file_path == f"2026-Q3/acme-corp/{Path(row.file_path).name}"
        content = (reports / row.file_path).read_bytes()
        assert hashlib.sha256(content).hexdigest() == row.sha256
        assert row.job_id == job.id and row.variant == "stakeholder"
    assert sorted(p.name for p in (reports / "2026-Q3" / "acme-corp").iterdir()) == sorted(
        Path(r.file_path).name for r in rows)  # no temp files left behind
    assert missing_items(session, job) == []

    # Running the batch again upserts: same rows, same files, no duplicates.
    again = _run_job(app, session, [account.id])
    assert (again.status, again.done) == ("done", 2)
    assert len(session.exec(select(ValueSummary)).all()) == 2


def test_internal_variant_one_review_per_account(app: Flask, session: Session,
                                                 cast: object) -> None:
    job = _run_job(app, session, [cast.account1.id, cast.account2.id],  # type: ignore
                   variant="internal")
    assert (job.status, job.total, job.done) == ("done", 2, 2)
    paths = sorted(r.file_path for r in session.exec(select(ValueSummary)).all())
    assert paths == ["2026-Q3/acme-corp/account-review.pdf", "2026-Q3/globex/account-review.pdf"]


def test_failing_item_is_retried_then_reported_and_rest_completes(
        app: Flask, session: Session, cast: object) -> None:
    account = cast.account1  # type: ignore[attr-defined]
    make_stakeholder(session, account, "Second Key", is_key=True)
    session.commit()
    # A file where the account's folder must go makes every write of that account fail.
    reports = Path(app.config["REPORTS_DIR"])
    (reports / "2026-Q3").mkdir(parents=True)
    (reports / "2026-Q3" / "acme-corp").write_text("in the way")
    job = _run_job(app, session, [account.id, cast.account2.id])  # type: ignore
    assert (job.status, job.total, job.done, job.failed) == ("failed", 3, 1, 2)
    assert "stakeholder" in (job.error or "")
    assert (reports / "2026-Q3" / "globex").is_dir()


def test_empty_batch_is_done_at_once(app: Flask, session: Session, cast: object) -> None:
    job = _run_job(app, session, [])
    assert (job.status, job.total) == ("done", 0)


def test_plan_and_data_queries_are_bounded(app: Flask, session: Session, cast: object) -> None:
    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    seed_account_value(session, account, buyer)
    session.commit()
    plan = plan_batch(session, [account.id], "stakeholder")
    assert [i.stakeholder_id for i in plan.items] == [buyer.id] and plan.skipped == []
    with sql_statements(app.extensions["valuetracker.engine"]) as statements:
        data = summary_data(session, account, buyer, parse_quarter("2026-Q3"))
    assert len(statements) <= 8
    assert data.value_quarter == 12500 and data.value_quarter_confirmed == 7500


def test_sent_summary_is_not_regenerated(app: Flask, session: Session, cast: object) -> None:
    from valuetracker.models import Distribution

    account, buyer = cast.account1, cast.stakeholder1  # type: ignore[attr-defined]
    q = parse_quarter("2026-Q3")
    with app.app_context():
        first = generate_one(session, account_id=account.id, stakeholder_id=buyer.id,
                             quarter=q, variant="stakeholder")
        session.commit()
        session.add(Distribution(summary_id=first.id, status="sent"))
        session.commit()
        sha = first.sha256
        again = generate_one(session, account_id=account.id, stakeholder_id=buyer.id,
                             quarter=q, variant="stakeholder")
    assert again.id == first.id and again.sha256 == sha
