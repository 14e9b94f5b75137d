"""Subprocesses of the benchmark: the `valuetracker` CLI with a chosen database, and
measuring a child's wall time and peak memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
BENCH_SECRET = "bench-secret-key-not-for-production"


def cli_path() -> str:
    """The `valuetracker` console script next to this interpreter."""
    candidate = VENV_BIN / "valuetracker"
    return str(candidate) if candidate.exists() else "valuetracker"


def app_env(database_url: str, workdir: Path, *, redis_url: str | None = None) -> dict[str, str]:
    """Environment for a child `valuetracker` process: our database, folders and secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VALUETRACKER_")}
    env.update({
        "VALUETRACKER_ENV": "development",
        "VALUETRACKER_DATABASE_URL": database_url,
        "VALUETRACKER_SECRET_KEY": BENCH_SECRET,
        "VALUETRACKER_REPORTS_DIR": str(workdir / "reports"),
        # The SQLite job queue (when no Redis URL is given) stays in the work folder.
        "VALUETRACKER_HUEY_SQLITE_PATH": str(workdir / "jobs.sqlite"),
    })
    if redis_url:
        env["VALUETRACKER_REDIS_URL"] = redis_url
    return env


@dataclass
class ChildRun:
    returncode: int
    seconds: float
    max_rss_mib: float
    output: str


def run_measured(cmd: Sequence[str], *, env: dict[str, str], cwd: Path | None = None,
                 timeout: float = 600) -> ChildRun:
    """Run `cmd`, returning its wall time and its own peak RSS (os.wait4's rusage, so
    other children of this process do not count)."""
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-child-{os.getpid()}.log"
    with open(log_path, "w+b") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.send_signal(signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode(errors="replace")
    log_path.unlink(missing_ok=True)
    return ChildRun(proc.returncode, seconds, usage.ru_maxrss / 1024, output)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a child we started (its process group: gunicorn and worker children too)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
