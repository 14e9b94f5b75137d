"""Summary PDFs: one stakeholder's summary in process, and a batch through real workers.

One PDF: the summaries package's own functions (`summary_html` = data + templating,
`html_to_pdf` = WeasyPrint), called the way a job calls them, in the main thread.
The total is `build_pdf`; WeasyPrint alone is `html_to_pdf` on the same HTML; the
share outside WeasyPrint is 1 - weasy / total (medians).

Batch: `valuetracker worker --workers N` (the Huey consumer, process workers) on a
private queue, and `valuetracker summaries generate --quarter Q --account …` for
accounts holding ~100 key stakeholders; throughput = summaries written / the job's
own running time (from its Job row), falling back to the command's wall time.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, func, select

from valuetracker.db import make_engine
from valuetracker.models import Account, Job, Stakeholder, ValueSummary
from valuetracker.quarters import parse_quarter
from valuetracker.workers import any_worker_alive

from .probe import Probe
from .procs import VENV_BIN, app_env, cli_path, run_measured, stop

WARMUP = 2


@dataclass
class PdfResult:
    median_ms: float | None = None
    weasy_ms: float | None = None
    html_ms: float | None = None
    pages_bytes: int | None = None
    pages: int | None = None
    error: str | None = None

    @property
    def outside_share(self) -> float | None:
        if self.median_ms is None or self.weasy_ms is None or self.median_ms <= 0:
            return None
        return max(0.0, 1 - self.weasy_ms / self.median_ms)


def _summaries_api() -> tuple[Any, Any, Any, Any] | str:
    """(summary_html, build_pdf, html_to_pdf, branding_dir) of the summaries package,
    or why not."""
    try:
        from valuetracker.summaries import generate as gen
        from valuetracker.summaries import render
    except ImportError as exc:
        return f"n/a (summaries package not merged: {exc})"
    missing = [n for n in ("summary_html", "build_pdf") if not hasattr(gen, n)]
    if not hasattr(render, "html_to_pdf"):
        missing.append("html_to_pdf")
    if missing:
        return f"n/a (summaries API missing: {', '.join(missing)})"
    branding_dir = getattr(gen, "branding_dir", lambda: None)
    return gen.summary_html, gen.build_pdf, render.html_to_pdf, branding_dir


def measure_pdf(app: Flask, probe: Probe, *, renders: int = 10) -> PdfResult:
    api = _summaries_api()
    if isinstance(api, str):
        return PdfResult(error=api)
    summary_html, build_pdf, html_to_pdf, branding_dir = api
    engine = app.extensions["valuetracker.engine"]
    timeout = float(app.config.get("PDF_RENDER_TIMEOUT", 60))
    with app.app_context(), Session(engine, expire_on_commit=False) as session:
        account = session.get(Account, probe.account_id)
        stakeholder = session.get(Stakeholder, probe.stakeholder_id)
        quarter = parse_quarter(probe.quarter, int(app.config.get("FISCAL_YEAR_START_MONTH", 1)))
        try:
            for _ in range(WARMUP):
                build_pdf(session, account, stakeholder, quarter)
            totals, weasy, html_times = [], [], []
            size = 0
            html, _data = summary_html(session, account, stakeholder, quarter)
            # Interleaved, so a burst of load elsewhere on the machine hits all three alike.
            for _ in range(renders):
                started = time.perf_counter()
                pdf = build_pdf(session, account, stakeholder, quarter)
                totals.append((time.perf_counter() - started) * 1000)
                size = len(pdf)
                started = time.perf_counter()
                summary_html(session, account, stakeholder, quarter)
                html_times.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                html_to_pdf(html, timeout=timeout, branding_dir=branding_dir())
                weasy.append((time.perf_counter() - started) * 1000)
        except Exception as exc:  # noqa: BLE001 - the app's failure is a finding, not a crash
            return PdfResult(error=f"{type(exc).__name__}: {exc}"[:300])
    return PdfResult(statistics.median(totals), statistics.median(weasy),
                     statistics.median(html_times), size, _page_count(pdf))


def _page_count(pdf: bytes) -> int | None:
    try:
        import io

        from pypdf import PdfReader
    except ImportError:  # pypdf comes with the test extras
        return None
    return len(PdfReader(io.BytesIO(pdf)).pages)


# ---------------------------------------------------------------------------
# Batch through the real worker
# ---------------------------------------------------------------------------

@dataclass
class BatchResult:
    workers: int
    summaries: int = 0
    seconds: float | None = None
    error: str | None = None

    @property
    def throughput(self) -> float | None:
        if not self.seconds or not self.summaries:
            return None
        return self.summaries / self.seconds


def batch_available() -> str | None:
    """None when the CLI has `summaries generate` and `worker`, else why not."""
    from valuetracker import create_app

    app = create_app({"ENV": "development", "SECRET_KEY": "probe", "DATABASE_URL": "sqlite://"})
    group = app.cli.commands.get("summaries")
    if group is None or "generate" not in getattr(group, "commands", {}):
        return "n/a (`valuetracker summaries generate` missing)"
    if "worker" not in app.cli.commands:
        return "n/a (`valuetracker worker` missing)"
    return None


def pick_batch_accounts(engine: sa.Engine, size: int) -> list[str]:
    """Active accounts, in id order, until they hold `size` active key stakeholders."""
    with Session(engine) as session:
        rows = session.exec(
            select(Account.slug, func.count(Stakeholder.id))
            .join(Stakeholder, Stakeholder.account_id == Account.id)
            .where(Account.status == "active", Stakeholder.is_key.is_(True),
                   Stakeholder.left_company_at.is_(None), Stakeholder.erased_at.is_(None),
                   Stakeholder.opted_out_at.is_(None))
            .group_by(Account.id, Account.slug).order_by(Account.id)
        ).all()
    slugs, total = [], 0
    for slug, n in rows:
        if total >= size:
            break
        slugs.append(slug)
        total += n
    return slugs


def _copy_sqlite(url: str, dest: Path) -> str:
    source = Path(url.removeprefix("sqlite:///"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, dest)
    return f"sqlite:///{dest}"


def run_batch(database_url: str, quarter: str, workers: int, slugs: list[str],
              workdir: Path, *, redis_url: str | None) -> BatchResult:
    """Generate the quarter's summaries of `slugs` with `workers` worker processes.

    SQLite data sets are copied first so the batch starts from the same state every
    time and the page benchmark's data set stays untouched.
    """
    result = BatchResult(workers)
    run_dir = workdir / f"batch-{workers}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    url = database_url
    if url.startswith("sqlite:///"):
        url = _copy_sqlite(url, run_dir / "bench.sqlite")
    engine = make_engine(url)
    with engine.begin() as conn:  # a clean slate for this quarter (PostgreSQL runs)
        ids = select(ValueSummary.id).where(ValueSummary.quarter == quarter)
        conn.execute(sa.text("DELETE FROM distribution WHERE summary_id IN "
                             "(SELECT id FROM value_summary WHERE quarter = :q)"), {"q": quarter})
        conn.execute(sa.delete(ValueSummary).where(ValueSummary.id.in_(ids)))
        from valuetracker.rollups.coverage import rebuild  # deleted without the ORM

        rebuild(conn)
    env = app_env(url, run_dir, redis_url=redis_url)
    worker_log = open(run_dir / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen([cli_path(), "worker", "--workers", str(workers)], env=env,
                              cwd=run_dir, stdout=worker_log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        # The CLI hands the batch to the worker only once its heartbeat is in; then give
        # the consumer a moment to fork its processes before the clock runs.
        deadline = time.monotonic() + 60
        while worker.poll() is None and time.monotonic() < deadline:
            with Session(engine) as session:
                if any_worker_alive(session):
                    break
            time.sleep(0.2)
        time.sleep(1)
        if worker.poll() is not None:
            result.error = f"worker exited with {worker.returncode}: " + \
                (run_dir / "worker.log").read_text()[-300:]
            return result
        cmd = [cli_path(), "summaries", "generate", "--quarter", quarter]
        for slug in slugs:
            cmd += ["--account", slug]
        run = run_measured(cmd, env=env, cwd=run_dir, timeout=900)
        with Session(engine) as session:
            result.summaries = session.exec(
                select(func.count()).select_from(ValueSummary)
                .where(ValueSummary.quarter == quarter)).one()
            job = session.exec(select(Job).order_by(Job.id.desc()).limit(1)).first()
        if run.returncode != 0:
            tail = " | ".join(run.output.strip().splitlines()[-3:])
            result.error = f"exit {run.returncode}: {tail}"[:300]
        result.seconds = run.seconds
        if job is not None and job.started_at and job.finished_at:
            result.seconds = (job.finished_at - job.started_at).total_seconds()
    finally:
        stop(worker, timeout=20)
        worker_log.close()
        engine.dispose()
    return result


__all__ = ["measure_pdf", "run_batch", "batch_available", "pick_batch_accounts", "VENV_BIN"]
