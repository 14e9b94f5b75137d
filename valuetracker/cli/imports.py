"""`valuetracker import KIND FILE`: the CLI side of the imports (same code as the web)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from ..db import get_session, refresh_statistics
from ..imports import (
    KIND_TABLES,
    KINDS,
    ImportStop,
    parse_map_options,
    parse_value_maps,
    run_import,
    write_rejected,
)
from ..imports.presets import PRESETS

MAX_ERRORS_SHOWN = 200


def register(app: Flask) -> None:
    @app.cli.command("import")
    @click.argument("kind", type=click.Choice(list(KINDS)))
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--map", "maps", multiple=True, metavar="SRC=FIELD",
                  help="Read column SRC as FIELD (or SRC=ignore). Repeatable.")
    @click.option("--preset", type=click.Choice(list(PRESETS), case_sensitive=False),
                  default=None, help="Read a CRM's standard export (its column names, "
                  "stage words and dates); --map, --value-map and --date-format override it.")
    @click.option("--date-format", default=None, metavar="FMT",
                  help='strptime format for non-ISO dates, e.g. "%m/%d/%Y".')
    @click.option("--value-map", "value_maps", multiple=True, metavar="FIELD:WORD=VALUE",
                  help='Read WORD in FIELD as VALUE, e.g. "outcome:Signed=won". Repeatable.')
    @click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
    @click.option("--skip-invalid", is_flag=True,
                  help="Import the valid rows; write the rejected ones to FILE.rejected.csv.")
    def import_command(kind: str, file: Path, maps: tuple[str, ...], date_format: str | None,
                       value_maps: tuple[str, ...], dry_run: bool, skip_invalid: bool,
                       preset: str | None) -> None:
        """Import a CSV export (UTF-8) of accounts, stakeholders, deals or value entries.

        All or nothing: any invalid row aborts the import, nothing is written, and every
        error is listed (row, column, reason); the exit code is 1. With --skip-invalid the
        valid rows are imported, the rejected rows are written with a `reason` column to
        FILE.rejected.csv next to the input, and the exit code is 0 (the report says how
        many were rejected). Re-importing a file updates rows; it creates no duplicates.
        """
        session = get_session()
        try:
            report = run_import(
                session, kind, file.read_bytes(),
                mapping=parse_map_options(maps),
                date_format=date_format,
                value_maps=parse_value_maps(value_maps),
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                source=file.name,
                preset=preset,
            )
        except ImportStop as exc:
            session.rollback()
            for problem in exc.problems:
                click.echo(f"Error: {problem}", err=True)
            click.echo("Nothing was imported.", err=True)
            raise SystemExit(1) from None
        except BaseException:
            session.rollback()
            raise

        if report.preset:
            click.echo(f"Preset {PRESETS[report.preset].label}: " + (", ".join(
                f"{column} → {target}" for column, target in report.preset_columns)
                or "none of its columns are in the file") + ".")
        if report.unknown_columns:
            click.echo("Ignored unknown columns: " + ", ".join(report.unknown_columns))
        for error in report.errors[:MAX_ERRORS_SHOWN]:
            click.echo(f"Error: {error}", err=True)
        if len(report.errors) > MAX_ERRORS_SHOWN:
            click.echo(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more errors.", err=True)

        if report.errors and not skip_invalid:
            session.rollback()
            click.echo(f"{len(report.errors)} errors in {report.rejected} rows; nothing was "
                       "imported (use --skip-invalid to import the valid rows).", err=True)
            raise SystemExit(1)
        if dry_run:
            session.rollback()
            click.echo(f"Dry run, nothing written. Would import {report.summary()}.")
            return
        session.commit()
        click.echo(f"Imported {kind}: {report.summary()}.")
        if report.rejected:
            path = write_rejected(report, file)
            click.echo(f"Rejected rows with reasons written to {path}.")
        refresh_statistics(session, KIND_TABLES[kind])
