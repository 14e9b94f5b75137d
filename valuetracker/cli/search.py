"""Commands for the search index: `valuetracker search rebuild`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def register(app: Flask) -> None:
    group = AppGroup("search", help="The full-text search index.")

    @group.command("rebuild")
    def rebuild() -> None:
        """Fill the search index anew from every row.

        Triggers keep it current on every write; this is for a database loaded around
        them (a restore of an older backup, a hand-made bulk load).
        """
        from ..db import get_session
        from ..search import rebuild_index
        from ..wording import counted

        session = get_session()
        rows = rebuild_index(session)
        session.commit()
        click.echo(f"The search index holds {counted(rows, 'row')}.")

    app.cli.add_command(group)
