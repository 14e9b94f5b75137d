"""`valuetracker export quarter 2026-Q3 [--format xlsx|csv] [-o PATH] [--account SLUG]…`"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from ..db import get_session
from ..exports import FORMATS, ExportError, build_quarter_export, default_path, resolve_accounts
from ..quarters import QuarterError, app_start_month, parse_quarter


def register(app: Flask) -> None:
    @app.cli.group("export")
    def export_group() -> None:
        """Export data for reviews."""

    @export_group.command("quarter")
    @click.argument("quarter")
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="xlsx",
                  show_default=True, help="xlsx workbook, or a zip of CSV files.")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                  help="Where to write (default REPORTS_DIR/<quarter>/quarterly-review-"
                       "<quarter>.xlsx).")
    @click.option("--account", "accounts", multiple=True, metavar="SLUG",
                  help="Only this account (repeatable); default every account.")
    def export_quarter(quarter: str, fmt: str, output: Path | None,
                       accounts: tuple[str, ...]) -> None:
        """Write the quarterly review workbook for QUARTER (e.g. 2026-Q3), in this process
        (no worker needed)."""
        try:
            q = parse_quarter(quarter, app_start_month())
        except QuarterError as exc:
            raise click.BadParameter(str(exc), param_hint="QUARTER") from exc
        session = get_session()
        try:
            account_ids = resolve_accounts(session, accounts)
        except ExportError as exc:
            raise click.BadParameter(str(exc), param_hint="--account") from exc
        path = output or default_path(current_app.config["REPORTS_DIR"], q, fmt)

        def progress(done: int, total: int, sheet: str) -> None:
            click.echo(f"  [{done}/{total}] {sheet}", err=True)

        result = build_quarter_export(
            session, quarter=q, path=path, fmt=fmt, account_ids=account_ids,
            currency=current_app.config.get("CURRENCY", "USD"), progress=progress,
        )
        for sheet, count in result.rows.items():
            click.echo(f"{sheet}: {count} rows")
        click.echo(f"Wrote {result.path}")
