"""`valuetracker api-token create EMAIL --name NAME [--scope read|write] [--expires-days N]`."""

from __future__ import annotations

import click
from flask import Flask
from sqlmodel import select

from .. import api_tokens
from ..db import get_session
from ..models import API_SCOPES, User


def register(app: Flask) -> None:
    @app.cli.group("api-token")
    def api_token() -> None:
        """Personal tokens for the JSON API."""

    @api_token.command("create")
    @click.argument("email")
    @click.option("--name", required=True, help="What the token is for, e.g. 'CRM sync'.")
    @click.option("--scope", type=click.Choice(API_SCOPES), default="read", show_default=True)
    @click.option("--expires-days", type=int, default=None,
                  help="Days until it expires (default: never).")
    def create(email: str, name: str, scope: str, expires_days: int | None) -> None:
        """Create a token for the user EMAIL; prints the token alone on the last line."""
        session = get_session()
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None or not user.active:
            raise click.ClickException(f"No active user with the email {email}.")
        try:
            row, token = api_tokens.create_token(session, user, name=name, scope=scope,
                                                 expires_days=expires_days, user=user)
        except api_tokens.TokenError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        expiry = row.expires_at.date().isoformat() if row.expires_at else "never"
        click.echo(f"Created {scope} token '{row.name}' for {user.email} (expires: {expiry}). "
                   "It is shown only now:")
        click.echo(token)
