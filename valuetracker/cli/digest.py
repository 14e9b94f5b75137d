"""`valuetracker digest send --period daily|weekly [--dry-run]`: the period's digests now."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def register(app: Flask) -> None:
    group = AppGroup("digest", help="The daily and weekly digest mails to users.")

    @group.command("send")
    @click.option("--period", type=click.Choice(["daily", "weekly"]), required=True,
                  help="Whose digests: the users who chose a daily or a weekly one.")
    @click.option("--dry-run", is_flag=True,
                  help="Print who would get what; send nothing and record nothing.")
    def send(period: str, dry_run: bool) -> None:
        """Send this period's digest to every user due one, now.

        The worker does this on its schedule (after DIGEST_HOUR); a user's digest of a
        period is sent once, however often this runs. Nothing to say: no mail.
        """
        from ..db import get_session
        from ..notifications.digest import send_digests
        from ..wording import counted

        run = send_digests(get_session(), period, dry_run=dry_run)
        if dry_run:
            for email, what in run.previews:
                click.echo(f"{email}: {what}")
            click.echo(f"Would send {counted(len(run.previews), 'digest')} ({period}, "
                       f"{run.key}); {counted(run.empty, 'user')} with nothing to say. "
                       "Nothing was sent.")
            return
        click.echo(f"Sent {counted(run.sent, 'digest')} ({period}, {run.key}); "
                   f"{counted(run.empty, 'user')} with nothing to say.")
        if run.failed:
            raise click.ClickException(
                f"The mail server refused {counted(run.failed, 'digest')}; "
                "they are tried again at the next run.")

    app.cli.add_command(group)
