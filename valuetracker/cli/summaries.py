"""`valuetracker summaries generate`: the same batch job as the web, with a progress bar.

The job goes through the queue when a worker is running (or the queue runs tasks at
once, HUEY_IMMEDIATE). With none, the command runs the items in its own process; and
when the workers go away while it waits, it takes over the items not done yet.
"""

from __future__ import annotations

import time

import click
from flask import Flask
from sqlmodel import Session

from ..models import Job

NO_WORKER = ("No worker is running (start one with `valuetracker worker`); "
             "generating in this process.")
WORKER_GONE = ("The worker stopped (start one with `valuetracker worker`); "
               "generating the rest in this process.")
NO_WORKER_NO_WAIT = ("No worker is running, so nothing would run the job: start one with "
                     "`valuetracker worker`, or leave out --no-wait to generate in this "
                     "process.")
POLL_SECONDS = 0.5


def register(app: Flask) -> None:
    @app.cli.group("summaries")
    def summaries_group() -> None:
        """Quarterly value summaries (PDF) for key stakeholders."""

    @summaries_group.command("generate")
    @click.option("--quarter", required=True, help="The quarter, like 2026-Q3.")
    @click.option("--account", "accounts", multiple=True, metavar="SLUG",
                  help="Only this account (repeatable); default: every active account.")
    @click.option("--send", is_flag=True, help="Also send each summary to its stakeholder.")
    @click.option("--no-wait", is_flag=True,
                  help="Return once the job is queued (needs a running worker).")
    @click.option("--variant", type=click.Choice(["stakeholder", "internal"]),
                  default="stakeholder", show_default=True)
    def generate_command(quarter: str, accounts: tuple[str, ...], send: bool, no_wait: bool,
                         variant: str) -> None:
        """Generate (and with --send, send) the quarter's summaries as a background job.

        A running `valuetracker worker` does the work; with none, this command does it
        in its own process.
        """
        from ..db import get_session
        from ..jobs import get_huey
        from ..quarters import QuarterError, parse_quarter
        from ..summaries.runs import active_account_ids, create_summaries_job, enqueue_job
        from ..workers import any_worker_alive

        try:
            parse_quarter(quarter)
        except QuarterError as exc:
            raise click.BadParameter(str(exc), param_hint="--quarter") from None
        session = get_session()
        account_ids = active_account_ids(session, list(accounts) or None)
        if accounts and len(account_ids) != len(set(accounts)):
            raise click.BadParameter("unknown account slug(s).", param_hint="--account")
        if variant == "internal" and send:
            raise click.BadParameter("the internal review is not sent.", param_hint="--send")
        immediate = get_huey(app).immediate  # the queue runs each task as it is queued
        queued = immediate or any_worker_alive(session)
        if no_wait and not queued:
            raise click.ClickException(NO_WORKER_NO_WAIT)  # before any job is created
        job = create_summaries_job(session, quarter=quarter, account_ids=account_ids,
                                   variant=variant, send=send)
        session.commit()
        if queued:
            enqueue_job(app, job)
            click.echo(f"Job {job.id}: {job.total} summaries queued.")
        else:
            click.echo(NO_WORKER)
            click.echo(f"Job {job.id}: {job.total} summaries.")
        if no_wait:
            return
        current = _follow(app, session, job, here=not queued, watch_workers=not immediate)
        from ..jobs import job_message

        click.echo(job_message(current))
        if current.error:
            click.echo(current.error.rstrip(), err=True)
        if current.failed:
            raise SystemExit(1)


def _follow(app: Flask, session: Session, job: Job, *, here: bool, watch_workers: bool
            ) -> Job:
    """Show the job's progress until it finishes, running its items here when `here` is
    set, or once no worker is alive any more (`watch_workers`). Returns the finished job."""
    from ..jobs import FINISHED
    from ..summaries.runs import missing_items, run_summary_item_here
    from ..workers import any_worker_alive

    assert job.id is not None
    shown = 0
    with click.progressbar(length=max(job.total, 1), label="Generating",
                           show_pos=True) as bar:

        def refresh() -> Job:
            nonlocal shown
            session.expire_all()
            current = session.get(Job, job.id)
            assert current is not None
            progress = current.done + current.failed
            if progress > shown:
                bar.update(progress - shown)
                shown = progress
            return current

        while (current := refresh()).status not in FINISHED:
            if not here and watch_workers and not any_worker_alive(session):
                click.echo(f"\n{WORKER_GONE}")
                here = True
            if here:
                # Items a worker is still busy with (or that wait in the queue) may run
                # twice: an item is idempotent, and counted once.
                items = missing_items(session, current)
                for account_id, stakeholder_id in items:
                    run_summary_item_here(app, job.id, account_id, stakeholder_id)
                    refresh()
                if items:
                    continue
            time.sleep(POLL_SECONDS)
    return current
