"""Signals and account health: `valuetracker signals refresh` and `valuetracker health`."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup


def register(app: Flask) -> None:
    group = AppGroup("signals", help="Signals about accounts and their people.")

    @group.command("refresh")
    def refresh() -> None:
        """Recompute every active account's signals and this week's health snapshot.

        The worker does this on a schedule (SIGNALS_REFRESH_MINUTES) and after writes;
        this command does it now, in this process.
        """
        from ..db import get_session
        from ..signals import refresh_signals
        from ..wording import counted

        session = get_session()
        result = refresh_signals(session)
        session.commit()
        click.echo(f"Opened {counted(len(result.opened), 'signal')}, cleared "
                   f"{len(result.closed)}, {result.kept} still open.")

    @app.cli.command("health")
    @click.option("--account", "slugs", multiple=True, metavar="SLUG",
                  help="Only this account (repeatable). Default: every active account.")
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                  show_default=True)
    def health(slugs: tuple[str, ...], fmt: str) -> None:
        """Each account's health score, band and open signals, lowest score first."""
        from sqlmodel import select

        from ..db import get_session
        from ..models import Account
        from ..signals import accounts_health

        session = get_session()
        if slugs:
            known = set(session.exec(select(Account.slug)
                                     .where(Account.slug.in_(list(slugs)))).all())
            unknown = [s for s in slugs if s not in known]
            if unknown:
                raise click.ClickException(f"No account with the slug {', '.join(unknown)}.")
        rows = accounts_health(session, slugs=list(slugs) if slugs else None)
        data = [_as_dict(row) for row in rows]
        if fmt == "json":
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
            return
        _table(data)

    app.cli.add_command(group)


def _as_dict(row: Any) -> dict[str, Any]:
    return {"account": row.slug, "name": row.name, "score": int(row.score), "band": row.band,
            "signals": [{"kind": o.signal.kind, "severity": o.signal.severity,
                         "since": o.signal.since.isoformat(), "message": o.signal.message}
                        for o in row.signals]}


def _table(data: list[dict[str, Any]]) -> None:
    if not data:
        click.echo("No active accounts.")
        return
    width = max(len(d["name"]) for d in data)
    click.echo(f"{'Account':<{width}}  Score  Band     Signals")
    for d in data:
        click.echo(f"{d['name']:<{width}}  {d['score']:>5}  {d['band']:<7}  "
                   f"{len(d['signals'])}")
        for s in d["signals"]:
            click.echo(f"{'':<{width}}    - [{s['severity']}] {s['message']} "
                       f"(since {s['since']})")
