"""`valuetracker backup PATH` and `valuetracker restore PATH`: one archive holding the
database, REPORTS_DIR and a manifest (the work is done in valuetracker/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy.engine import make_url

from ..backup import BackupError, Manifest, inspect_backup, make_backup, restore_backup


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Write PATH (conventionally NAME.tar.gz): the database, REPORTS_DIR and a manifest.

        Safe while the app runs. SQLite is copied with its online backup; PostgreSQL is
        dumped with pg_dump (package postgresql-client, the server's major version or newer).
        """
        try:
            result = make_backup(path, database_url=current_app.config["DATABASE_URL"],
                                 reports_dir=Path(current_app.config["REPORTS_DIR"]))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Wrote {result.path} ({_size(result.size)}).")
        _echo_contents(result.manifest, result.manifest.tables)

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Replace the current data without asking.")
    def restore_command(path: Path, yes: bool) -> None:
        """Replace the database and REPORTS_DIR's files with those of the backup PATH.

        Stop the web app and the workers first (nothing may write meanwhile), and start
        them again afterwards.
        """
        config = current_app.config
        database_url, reports_dir = config["DATABASE_URL"], Path(config["REPORTS_DIR"])
        try:
            manifest = inspect_backup(path, database_url=database_url, reports_dir=reports_dir)
            if not yes:
                click.confirm(
                    f"This replaces all data in {_safe_url(database_url)} and every file in "
                    f"{reports_dir} with the backup made at {manifest.created_at} "
                    f"({sum(manifest.tables.values())} rows, {manifest.reports_files} report "
                    "files). Stop the web app and workers first. Continue?", abort=True)
            result = restore_backup(path, database_url=database_url, reports_dir=reports_dir)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Restored {path} (made at {manifest.created_at}).")
        _echo_contents(manifest, result.counts)
        differ = sorted(t for t in manifest.tables if result.counts.get(t) != manifest.tables[t])
        if differ:
            click.echo("Warning: row counts differ from the backup's in "
                       f"{', '.join(differ)}: did something write during the restore?", err=True)
        if result.schema == "older":
            click.echo("The backup's schema is older than this version of valuetracker: "
                       "run `valuetracker init-db` to upgrade it.")
        elif result.schema == "newer":
            click.echo(f"The backup's schema (revision {manifest.revision}) is newer than this "
                       "version of valuetracker knows: upgrade valuetracker before starting it.")


def _echo_contents(manifest: Manifest, counts: dict[str, int]) -> None:
    click.echo(f"Database: {manifest.dialect}, schema revision {manifest.revision or 'none'}, "
               f"{len(counts)} tables, {sum(counts.values())} rows:")
    filled = {table: rows for table, rows in sorted(counts.items()) if rows}
    width = max(map(len, filled), default=0)
    for table, rows in filled.items():
        click.echo(f"  {table:<{width}}  {rows:>8}")
    click.echo(f"Report files: {manifest.reports_files} ({_size(manifest.reports_bytes)}).")


def _safe_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


def _size(size: int) -> str:
    value, unit = float(size), "bytes"
    for bigger in ("kB", "MB", "GB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
