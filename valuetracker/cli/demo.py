"""`valuetracker seed-demo [--if-empty]`: a realistic demo installation."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlmodel import select

from ..db import get_session, refresh_statistics
from ..models import User, metadata


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True,
                  help="Do nothing (and succeed) when the database already has users.")
    def seed_demo_command(if_empty: bool) -> None:
        """Fill an empty database with demo users, accounts, stakeholders and more."""
        from ..demo import seed_demo
        from ..demo.core import DEMO_USERS

        session = get_session()
        if session.exec(select(User.id).limit(1)).first() is not None:
            if not if_empty:
                raise click.ClickException(
                    "The database is not empty; the demo needs an empty database. "
                    "Use --if-empty to skip quietly.")
            demo_emails = [email for _key, email, _name, _role, _title in DEMO_USERS]
            if session.exec(select(User.id).where(User.email.in_(demo_emails))).first():
                click.echo("Demo data is already in place.")
                _print_logins()
            else:
                click.echo("The database already has users; demo data not added.")
            return
        seed_demo(session)
        session.commit()
        refresh_statistics(session, [table.name for table in metadata.sorted_tables])
        click.echo("Demo data added.")
        _print_logins()


def _print_logins() -> None:
    from ..demo.core import DEMO_PASSWORD, DEMO_USERS

    address = str(current_app.config["BASE_URL"]).rstrip("/")
    click.echo(f"Sign in at {address} with any of these (password: {DEMO_PASSWORD}):")
    for _key, email, name, role, _title in DEMO_USERS:
        click.echo(f"  {email:<24} {name} ({role.replace('_', ' ')})")
