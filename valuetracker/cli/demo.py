"""`valuetracker seed-demo [--if-empty]`: a realistic demo installation."""

from __future__ import annotations

import click
from flask import Flask
from sqlmodel import select

from ..db import get_session
from ..models import User


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True,
                  help="Do nothing (and succeed) when the database already has users.")
    def seed_demo_command(if_empty: bool) -> None:
        """Fill an empty database with demo users, accounts, stakeholders and more."""
        from ..demo import seed_demo
        from ..demo.core import DEMO_PASSWORD, DEMO_USERS

        session = get_session()
        if session.exec(select(User.id).limit(1)).first() is not None:
            if if_empty:
                click.echo("The database already has users; demo data not added.")
                return
            raise click.ClickException(
                "The database is not empty; the demo needs an empty database. "
                "Use --if-empty to skip quietly.")
        seed_demo(session)
        session.commit()
        click.echo("Demo data added. Sign in with any of these (password: "
                   f"{DEMO_PASSWORD}):")
        for _key, email, name, role in DEMO_USERS:
            click.echo(f"  {email:<24} {name} ({role.replace('_', ' ')})")
