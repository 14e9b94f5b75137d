"""`valuetracker create-user EMAIL --name --role [--title]` (password from a prompt or stdin)."""

from __future__ import annotations

import sys

import click
from flask import Flask

from ..db import get_session
from ..models import DEFAULT_ROLE, ROLES
from ..users import UserError, create_user


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--name", default="", help="Display name (default: the email).")
    @click.option("--role", type=click.Choice(ROLES), default=DEFAULT_ROLE,
                  show_default=True)
    @click.option("--title", default="",
                  help="Job title, signing the mail to customers with the name.")
    def create_user_command(email: str, name: str, role: str, title: str) -> None:
        """Create a user; the password is read from a prompt, or from stdin when piped."""
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        session = get_session()
        try:
            user = create_user(session, email=email, name=name or email, role=role,
                               password=password, title=title)
        except UserError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        click.echo(f"Created {user.role} {user.email}.")
