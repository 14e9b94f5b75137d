"""`valuetracker webhooks add URL --event NAME...` (prints the secret), `webhooks list`,
`webhooks remove ID_OR_URL`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup


def register(app: Flask) -> None:
    group = AppGroup("webhooks", help="Webhook endpoints that receive signed events.")

    @group.command("add")
    @click.argument("url")
    @click.option("--event", "event_names", multiple=True, required=True, metavar="NAME",
                  help="An event to send (repeat for several); see `webhooks events`.")
    @click.option("--owner", default=None, metavar="EMAIL",
                  help="The admin told if it keeps failing (default: every admin).")
    @click.option("--description", default=None)
    @click.option("--disabled", is_flag=True, help="Add it disabled.")
    def add(url: str, event_names: tuple[str, ...], owner: str | None,
            description: str | None, disabled: bool) -> None:
        """Register an endpoint; prints its secret, alone on the last line (shown once)."""
        from ..access import may_administer
        from ..db import get_session
        from ..users import find_user
        from ..webhooks import WebhookError, add_endpoint

        session = get_session()
        user = None
        if owner:
            user = find_user(session, owner)
            if user is None or not may_administer(user):
                raise click.ClickException(f"No admin with email {owner}.")
        names = [part.strip() for name in event_names for part in name.split(",")
                 if part.strip()]
        try:
            endpoint = add_endpoint(
                session, url=url, event_names=names, enabled=not disabled,
                description=description, user=user,
                allow_private=bool(current_app.config.get("WEBHOOKS_ALLOW_PRIVATE")))
        except WebhookError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        click.echo(f"Added webhook endpoint {endpoint.id}: {endpoint.url} "
                   f"({', '.join(endpoint.events)}). Its secret (not shown again):")
        click.echo(endpoint.secret)

    @group.command("list")
    def list_command() -> None:
        """Every endpoint: id, status, URL and events."""
        from ..db import get_session
        from ..webhooks import list_endpoints

        endpoints = list_endpoints(get_session())
        if not endpoints:
            click.echo("No webhook endpoint.")
        for endpoint in endpoints:
            status = "enabled" if endpoint.enabled else "disabled"
            click.echo(f"{endpoint.id}\t{status}\t{endpoint.url}\t{','.join(endpoint.events)}")

    @group.command("remove")
    @click.argument("endpoint")
    def remove(endpoint: str) -> None:
        """Delete an endpoint (by id or URL) and its delivery log."""
        from ..db import get_session
        from ..webhooks import delete_endpoint, find_endpoint

        session = get_session()
        found = find_endpoint(session, endpoint)
        if found is None:
            raise click.ClickException(f"No webhook endpoint {endpoint}.")
        url = found.url
        delete_endpoint(session, found)
        session.commit()
        click.echo(f"Removed webhook endpoint {url}.")

    @group.command("events")
    def events_command() -> None:
        """The event names an endpoint may subscribe to."""
        from ..events import EVENTS

        for name, meaning in EVENTS.items():
            click.echo(f"{name}\t{meaning}")

    app.cli.add_command(group)
