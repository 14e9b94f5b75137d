"""A bulk reassignment of 1,000 accounts, through the job function the worker runs
(`valuetracker.bulk.run_bulk_job`): the check with its progress, then the one
transaction that writes every owner, audit event and search-index row.

It runs on a copy of the SQLite data set (the data sets are reused between runs and
must stay as generated); on another database it is not measured.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from valuetracker import create_app
from valuetracker.bulk import ACCOUNTS, create_bulk_job, run_bulk_job
from valuetracker.models import Account, Job, User

from .procs import BENCH_SECRET

COUNT = 1000


@dataclass
class BulkResult:
    seconds: float | None = None
    changed: int = 0
    error: str | None = None


def run_bulk_reassign(url: str, workdir: Path, *, count: int = COUNT) -> BulkResult:
    """Reassign `count` accounts (the lowest ids) from their owners to one account
    manager, as an admin's bulk job; the time of `run_bulk_job`."""
    if not url.startswith("sqlite:///"):
        return BulkResult(error="measured on SQLite only (it writes to a copy)")
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / "bulk.sqlite"
    shutil.copyfile(url.removeprefix("sqlite:///"), copy)
    app = create_app({"DATABASE_URL": f"sqlite:///{copy}", "SECRET_KEY": BENCH_SECRET,
                      "ENV": "development", "REPORTS_DIR": str(workdir / "reports"),
                      "OUTBOX_DIR": str(workdir / "outbox"),
                      "HUEY_SQLITE_PATH": str(workdir / "jobs.sqlite"), "REDIS_URL": None,
                      "RATELIMIT_STORAGE_URI": "memory://", "MAIL_SERVER": None})
    engine = app.extensions["valuetracker.engine"]
    try:
        with Session(engine) as session:
            admin = session.exec(select(User).where(User.role == "admin",
                                                    User.active.is_(True))).first()
            ids = list(session.exec(select(Account.id).order_by(Account.id).limit(count)))
            owners = session.exec(select(Account.owner_id).where(Account.id.in_(ids))).all()
            # The new owner: an active account manager who owns none of them.
            new_owner = session.exec(select(User).where(
                User.role == "account_manager", User.active.is_(True),
                User.id.not_in([o for o in owners if o is not None]))).first()
            if admin is None or new_owner is None or len(ids) < count:
                return BulkResult(error="no admin, no free account manager or too few accounts")
            new_owner_id = new_owner.id
            job = create_bulk_job(session, user=admin, bulk_list=ACCOUNTS,
                                  action=ACCOUNTS.action("reassign_owner"), ids=ids,
                                  value=new_owner_id, change="bench", back="/accounts")
            session.commit()
            job_id = job.id
        started = time.perf_counter()
        with app.app_context():
            run_bulk_job(engine, job_id)
        seconds = time.perf_counter() - started
        with Session(engine) as session:
            job = session.get(Job, job_id)
            moved = session.exec(select(sa.func.count()).select_from(Account).where(
                Account.id.in_(ids), Account.owner_id == new_owner_id)).one()
            if job is None or job.status != "done" or moved != count:
                return BulkResult(seconds, moved, f"job {job and job.status}: {job and job.error}")
        return BulkResult(seconds, moved)
    finally:
        engine.dispose()
        copy.unlink(missing_ok=True)
