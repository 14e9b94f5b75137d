"""Commands for stakeholder links: `valuetracker links remind`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def register(app: Flask) -> None:
    group = AppGroup("links", help="Links sent to stakeholders and buyers.")

    @group.command("remind")
    def remind() -> None:
        """Send the one reminder of every link unanswered for LINK_REMINDER_DAYS days.

        The worker does this every minute; this command does it now, in this process.
        """
        from ..db import get_session
        from ..reminders import reminder_days, send_reminders
        from ..wording import counted

        if reminder_days() <= 0:
            click.echo("Reminders are off (LINK_REMINDER_DAYS is 0).")
            return
        run = send_reminders(get_session())
        click.echo(f"Sent {counted(run.sent, 'reminder')}.")
        for link_id, reason in run.skipped:
            click.echo(f"Link {link_id}: no reminder, {reason}.")
        if run.failed:
            raise click.ClickException(
                f"The mail server refused {counted(run.failed, 'reminder')}; "
                "they are tried again at the next run.")

    app.cli.add_command(group)
