"""Digests for every user of a data set, as the worker's schedule sends them:
`valuetracker digest send --period daily` in a child process, timed, on a copy of the
SQLite data set (its DigestSend rows must not stay in the reused data set; mail goes
to the outbox folder). On another database it is the dry run, which builds every
digest and sends nothing."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .procs import app_env, cli_path, run_measured


@dataclass
class DigestResult:
    seconds: float | None
    users: int | None  # digests sent (dry run: that would be sent)
    dry_run: bool = False
    error: str | None = None


def run_digests(database_url: str, workdir: Path) -> DigestResult:
    workdir.mkdir(parents=True, exist_ok=True)
    url, dry_run = database_url, not database_url.startswith("sqlite:///")
    if not dry_run:
        copy = workdir / "digest.sqlite"
        shutil.copyfile(database_url.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
    command = [cli_path(), "digest", "send", "--period", "daily"]
    run = run_measured(command + (["--dry-run"] if dry_run else []),
                       env=app_env(url, workdir), cwd=workdir)
    if run.returncode != 0:
        tail = run.output.strip().splitlines()[-3:]
        return DigestResult(run.seconds, None, dry_run,
                            f"exit {run.returncode}: {' | '.join(tail)[:300]}")
    found = re.search(r"(?:Sent|Would send) (\d+) digest", run.output)
    return DigestResult(run.seconds, int(found.group(1)) if found else None, dry_run)
