"""`valuetracker summaries generate`: the same batch job as the web, with a progress bar."""

from __future__ import annotations

import time

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.group("summaries")
    def summaries_group() -> None:
        """Quarterly value summaries (PDF) for key stakeholders."""

    @summaries_group.command("generate")
    @click.option("--quarter", required=True, help="The quarter, like 2026-Q3.")
    @click.option("--account", "accounts", multiple=True, metavar="SLUG",
                  help="Only this account (repeatable); default: every active account.")
    @click.option("--send", is_flag=True, help="Also send each summary to its stakeholder.")
    @click.option("--no-wait", is_flag=True, help="Return once the job is queued.")
    @click.option("--variant", type=click.Choice(["stakeholder", "internal"]),
                  default="stakeholder", show_default=True)
    def generate_command(quarter: str, accounts: tuple[str, ...], send: bool, no_wait: bool,
                         variant: str) -> None:
        """Generate (and with --send, send) the quarter's summaries as a background job."""
        from ..db import get_session
        from ..jobs import active_account_ids, create_summaries_job, enqueue_job
        from ..models import Job
        from ..quarters import QuarterError, parse_quarter

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
        job = create_summaries_job(session, quarter=quarter, account_ids=account_ids,
                                   variant=variant, send=send)
        session.commit()
        enqueue_job(app, job)
        click.echo(f"Job {job.id}: {job.total} summaries queued.")
        if no_wait:
            return
        shown = 0
        with click.progressbar(length=max(job.total, 1), label="Generating",
                               show_pos=True) as bar:
            while True:
                session.expire_all()
                current = session.get(Job, job.id)
                assert current is not None
                progress = current.done + current.failed
                if progress > shown:
                    bar.update(progress - shown)
                    shown = progress
                if current.status in ("done", "failed"):
                    break
                time.sleep(0.5)
        from ..jobs import job_message

        click.echo(job_message(current))
        if current.error:
            click.echo(current.error.rstrip(), err=True)
        if current.failed:
            raise SystemExit(1)
