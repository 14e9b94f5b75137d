"""Commands of the tasks area: `valuetracker tasks list`."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

TABLE_COLUMNS = (("id", "Id"), ("due", "Due"), ("status", "Status"), ("account", "Account"),
                 ("assignee", "Assignee"), ("source", "Source"), ("title", "Task"))


def register(app: Flask) -> None:
    group = AppGroup("tasks", help="Tasks of the account teams.")

    @group.command("list")
    @click.option("--assignee", metavar="EMAIL", help="Only the tasks of this user.")
    @click.option("--account", metavar="SLUG", help="Only the tasks of this account.")
    @click.option("--status", type=click.Choice(["open", "done", "all"]), default="open",
                  show_default=True)
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                  show_default=True)
    def list_command(assignee: str | None, account: str | None, status: str,
                     fmt: str) -> None:
        """Tasks of every account (the command line sees them all), open ones by default,
        by due date."""
        from sqlmodel import select

        from ..db import get_session
        from ..models import Account, User
        from ..tasks import TaskFilters, all_tasks

        session = get_session()
        assignee_id = None
        if assignee:
            user = session.exec(select(User).where(
                User.email == assignee.strip().lower())).first()
            if user is None:
                raise click.ClickException(f"No user has the e-mail address {assignee}.")
            assignee_id = user.id
        if account and session.exec(select(Account.id).where(
                Account.slug == account)).first() is None:
            raise click.ClickException(f"No account has the slug {account}.")
        rows = all_tasks(session, None, TaskFilters(assignee_id=assignee_id,
                                                    account_slug=account, status=status))
        emails = dict(session.exec(select(User.id, User.email).where(
            User.id.in_(sorted({r.task.assignee_id for r in rows if r.task.assignee_id}))
        )).all()) if rows else {}
        items = [{"id": r.task.id, "title": r.task.title, "account": r.account_slug,
                  "assignee": emails.get(r.task.assignee_id or 0),
                  "due": r.task.due_on.isoformat() if r.task.due_on else None,
                  "status": r.task.status, "source": r.task.source} for r in rows]
        if fmt == "json":
            click.echo(json.dumps(items, indent=2))
            return
        if not items:
            click.echo("No tasks.")
            return
        cells = [[str(item[key] if item[key] is not None else "—") for key, _ in TABLE_COLUMNS]
                 for item in items]
        widths = [max(len(head), *(len(row[i]) for row in cells))
                  for i, (_, head) in enumerate(TABLE_COLUMNS)]
        click.echo("  ".join(head.ljust(w) for (_, head), w in zip(TABLE_COLUMNS, widths,
                                                                    strict=True)).rstrip())
        for row in cells:
            click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

    app.cli.add_command(group)
