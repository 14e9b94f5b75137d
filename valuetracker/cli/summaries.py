"""`valuetracker summaries generate`: the same batch job as the web, with a progress bar;
`summaries retry JOB_ID`: the failed items of a job, again; `summaries resolve`: the
sendings of unknown delivery (a worker stopped mid-send), marked delivered or resent.

A job goes through the queue when a worker is running (or the queue runs tasks at
once, HUEY_IMMEDIATE). With none, the command runs the items in its own process; and
when the workers go away while it waits, it takes over the items not done yet. While
some worker is alive, the command keeps waiting: the live workers take over the items
of one that died.
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
                  help="Only this account (repeatable); default: every account in the "
                       "send (the active ones).")
    @click.option("--send", is_flag=True, help="Also send each summary to its stakeholder.")
    @click.option("--no-wait", is_flag=True,
                  help="Return once the job is queued (needs a running worker).")
    @click.option("--variant", type=click.Choice(["stakeholder", "internal"]),
                  default="stakeholder", show_default=True)
    def generate_command(quarter: str, accounts: tuple[str, ...], send: bool, no_wait: bool,
                         variant: str) -> None:
        """Generate (and with --send, send) the quarter's summaries as a background job,
        for the people in the quarter's send (the coverage page's): key stakeholders of
        active accounts who may be e-mailed. Who is not in it is listed, with why.

        A running `valuetracker worker` does the work; with none, this command does it
        in its own process.
        """
        from ..db import get_session
        from ..jobs import get_huey
        from ..quarters import QuarterError, app_start_month, parse_quarter
        from ..summaries.runs import active_account_ids, create_summaries_job
        from ..workers import any_worker_alive

        try:
            quarter = parse_quarter(quarter, app_start_month()).label
        except QuarterError as exc:
            raise click.BadParameter(str(exc), param_hint="--quarter") from None
        session = get_session()
        account_ids = active_account_ids(session, list(accounts)) if accounts else None
        if account_ids is not None and len(account_ids) != len(set(accounts)):
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
        _echo_not_in_send(job)
        _run(app, session, job, queued=queued, immediate=immediate, no_wait=no_wait)

    @summaries_group.command("retry")
    @click.argument("job_id", type=int)
    @click.option("--no-wait", is_flag=True,
                  help="Return once the job is queued (needs a running worker).")
    def retry_command(job_id: int, no_wait: bool) -> None:
        """Run again the failed items of summaries job JOB_ID (a failed SMTP sending, a
        PDF that did not render): only those, as a new job. Nobody whose summary went
        out is sent it again."""
        from ..db import get_session
        from ..jobs import get_huey
        from ..summaries.retry import create_retry_job
        from ..summaries.runs import JOB_KIND
        from ..workers import any_worker_alive

        session = get_session()
        old = session.get(Job, job_id)
        if old is None or old.kind != JOB_KIND:
            raise click.ClickException(f"No summaries job {job_id}.")
        immediate = get_huey(app).immediate
        queued = immediate or any_worker_alive(session)
        if no_wait and not queued:
            raise click.ClickException(NO_WORKER_NO_WAIT)
        try:
            job = create_retry_job(session, old, user_id=None)
        except ValueError:
            raise click.ClickException(
                f"Job {job_id} has no failed items to retry ({old.status}).") from None
        session.commit()
        click.echo(f"Job {job.id} retries the {job.total} failed item(s) of job {job_id}.")
        _run(app, session, job, queued=queued, immediate=immediate, no_wait=no_wait)

    @summaries_group.command("resolve")
    @click.option("--quarter", required=True, help="The quarter, like 2026-Q3.")
    @click.option("--account", "accounts", multiple=True, metavar="SLUG",
                  help="Only this account (repeatable).")
    @click.option("--summary", "summary_ids", multiple=True, type=int, metavar="ID",
                  help="Only the sending of this summary (repeatable).")
    @click.option("--mark-delivered", "action", flag_value="mark_delivered",
                  help="The recipients have the mail: count the sendings as sent.")
    @click.option("--resend", "action", flag_value="resend",
                  help="Send the summaries again (recorded as resent).")
    def resolve_command(quarter: str, accounts: tuple[str, ...], summary_ids: tuple[int, ...],
                        action: str | None) -> None:
        """List the sendings of unknown delivery (a worker stopped after claiming them:
        the mail may or may not have left); with --mark-delivered or --resend, resolve
        them. Nothing is ever sent twice without one of these."""
        import sqlalchemy as sa

        from ..db import get_session
        from ..models import Account, ValueSummary
        from ..quarters import QuarterError, parse_quarter
        from ..summaries.send import NotUnknown, mark_delivered, resend, unknown_sendings

        try:
            label = parse_quarter(quarter).label
        except QuarterError as exc:
            raise click.BadParameter(str(exc), param_hint="--quarter") from None
        session = get_session()
        where = [ValueSummary.quarter == label]
        if accounts:
            where.append(Account.slug.in_(accounts))
        if summary_ids:
            where.append(ValueSummary.id.in_(summary_ids))
        rows = unknown_sendings(session, sa.and_(*where))
        if not rows:
            click.echo(f"No sendings of unknown delivery in {label}.")
            return
        failed = 0
        for row, summary, name, slug in rows:
            line = (f"summary {summary.id}  {slug}  {name or '-'} <{row.recipient or '-'}>  "
                    f"claimed {row.created_at:%Y-%m-%d %H:%M}")
            if action is None:
                click.echo(f"delivery unknown: {line}")
                continue
            try:
                if action == "mark_delivered":
                    mark_delivered(session, row, user=None)
                    session.commit()
                    click.echo(f"marked delivered: {line}")
                else:
                    resend(session, row, user=None)
                    click.echo(f"{'resent' if row.status == 'sent' else row.status}: {line}")
            except NotUnknown:
                click.echo(f"already resolved: {line}")
            except OSError as exc:  # smtplib's errors too
                failed += 1
                click.echo(f"resend failed: {line}: {exc}", err=True)
        if action is None:
            click.echo("Resolve them with --mark-delivered or --resend.")
        if failed:
            raise SystemExit(1)


def _echo_not_in_send(job: Job) -> None:
    """Name who of the batch's accounts is not in the quarter's send, and why (the job
    page's and the coverage page's list)."""
    from ..wording import counted

    result = job.result or {}
    for account in result.get("excluded_accounts", []):
        click.echo(f"Not in the send: {account['name']} ({account['status']}): "
                   f"{counted(account['key_stakeholders'], 'key stakeholder')}")
    for person in result.get("skipped", []):
        since = f" on {person['since']}" if person.get("since") else ""
        where = f" ({person['account_name']})" if person.get("account_name") else ""
        click.echo(f"Not in the send: {person['name']}{where}: {person['reason']}{since}")


def _run(app: Flask, session: Session, job: Job, *, queued: bool, immediate: bool,
         no_wait: bool) -> None:
    """Enqueue the job (or announce it runs here), then follow it to its end unless
    `no_wait`; a failed item makes the exit status 1."""
    from ..summaries.runs import enqueue_job

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
    from ..summaries.runs import abandon_claims, missing_items, run_summary_item_here
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
                abandon_claims(session, current)  # their sendings: delivery unknown
                session.commit()
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
