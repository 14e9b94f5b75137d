"""Commands of the winloss area: `valuetracker winloss report`."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime

import click
from flask import Flask
from flask.cli import AppGroup

REPORT_FIELDS = ("group", "won", "lost", "no_decision", "win_rate", "ci_low", "ci_high",
                 "small_sample")


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' is not a date; write it like 2026-07-01.") from exc


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def register(app: Flask) -> None:
    group = AppGroup("winloss", help="Win/loss program.")

    @group.command("report")
    @click.option("--by", "by", type=click.Choice(
        ["segment", "competitor", "quarter", "owner", "product"]), default="segment",
        show_default=True, help="Group the win rates by this.")
    @click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                  default="table", show_default=True)
    @click.option("--since", callback=_date, help="Deals closed on or after (YYYY-MM-DD).")
    @click.option("--until", callback=_date, help="Deals closed on or before (YYYY-MM-DD).")
    def report(by: str, fmt: str, since: date | None, until: date | None) -> None:
        """Win rate per group with counts, Wilson 95% interval and small-sample flag."""
        from ..db import get_session
        from ..quarters import app_start_month
        from ..winloss import win_rates

        if since and until and since > until:
            raise click.UsageError("--since is after --until.")
        rows = [r.as_dict() for r in win_rates(get_session(), by=by, since=since, until=until,
                                               start_month=app_start_month())]
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2))
        elif fmt == "csv":
            writer = csv.DictWriter(sys.stdout, fieldnames=REPORT_FIELDS, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                # Group names come from user-typed data: neutralise spreadsheet formulas.
                name = str(row["group"])
                if name[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    name = "'" + name
                writer.writerow(dict(row, group=name))
        else:
            if not rows:
                click.echo("No closed deals in this period.")
                return
            width = max(len(by), *(len(str(r["group"])) for r in rows))
            click.echo(f"{by.capitalize():<{width}}  {'Won':>5} {'Lost':>5} {'NoDec':>5}  "
                       f"{'Win rate':>8}  95% interval")
            for r in rows:
                flag = "  (small sample)" if r["small_sample"] else ""
                click.echo(f"{r['group']:<{width}}  {r['won']:>5} {r['lost']:>5} "
                           f"{r['no_decision']:>5}  {_pct(r['win_rate']):>8}  "
                           f"{_pct(r['ci_low'])}–{_pct(r['ci_high'])}{flag}")

    app.cli.add_command(group)
