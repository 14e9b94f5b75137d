"""The quarterly xlsx export as a user runs it: `valuetracker export quarter Q -o PATH`
in a child process, timed, with its peak RSS."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .procs import app_env, cli_path, run_measured


@dataclass
class ExportResult:
    seconds: float | None
    max_rss_mib: float | None
    size_bytes: int | None
    error: str | None = None


def export_available() -> bool:
    try:
        from valuetracker.cli import exports as cli_exports
    except ImportError:
        return False
    return "register" in dir(cli_exports) and _has_quarter_command()


def _has_quarter_command() -> bool:
    from valuetracker import create_app

    app = create_app({"ENV": "development", "SECRET_KEY": "probe", "DATABASE_URL": "sqlite://"})
    group = app.cli.commands.get("export")
    return group is not None and "quarter" in getattr(group, "commands", {})


def run_export(database_url: str, quarter: str, workdir: Path) -> ExportResult:
    if not export_available():
        return ExportResult(None, None, None, "n/a (`valuetracker export quarter` missing)")
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"export-{quarter}.xlsx"
    out.unlink(missing_ok=True)
    run = run_measured([cli_path(), "export", "quarter", quarter, "--format", "xlsx",
                        "-o", str(out)], env=app_env(database_url, workdir), cwd=workdir)
    if run.returncode != 0 or not out.exists():
        tail = run.output.strip().splitlines()[-3:]
        return ExportResult(run.seconds, run.max_rss_mib, None,
                            f"exit {run.returncode}: {' | '.join(tail)[:300]}")
    return ExportResult(run.seconds, run.max_rss_mib, out.stat().st_size)
