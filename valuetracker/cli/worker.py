"""`valuetracker worker`: the Huey consumer that runs background jobs.

PDF rendering is CPU-bound, so workers are processes (threads would share one GIL).
The app is created first (config, database); the consumer then forks its workers
from this process, each running tasks bound to this app. This process also keeps the
worker's heartbeat row fresh (`valuetracker.workers`), and deletes it on a clean stop;
at each beat, if it is the oldest live worker, it re-enqueues the items of workers that
died (`jobs.LostWorkCheck`). The consumer also runs the periodic tasks: every minute it
enqueues the reminders of unanswered links (`valuetracker.reminders`). The heartbeat's
id is the worker's name on the items it claims (WORKER_ID, inherited by the forked
processes).
"""

from __future__ import annotations

import logging
import os

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--workers", "-w", type=click.IntRange(min=1), default=None,
                  help="Worker processes (default: the number of CPUs).")
    def worker_command(workers: int | None) -> None:
        """Run the job queue's worker processes until interrupted."""
        from ..jobs import LostWorkCheck, get_huey, recover_jobs
        from ..workers import heartbeat_interval, start_heartbeat

        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(processName)s %(levelname)s %(message)s")
        # WeasyPrint logs every rendering step at INFO, and fontTools every font subset;
        # only their warnings matter here.
        for noisy in ("weasyprint", "fontTools"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        count = workers or os.cpu_count() or 1
        recovered = recover_jobs(app)
        if recovered:
            click.echo(f"Re-enqueued {recovered} item(s) of interrupted jobs.")
        # Load WeasyPrint and its libraries once here; the forked workers share them
        # (copy-on-write), and each makes its own font configuration on first use.
        from ..summaries.render import warm_up

        warm_up()
        # No pooled connection may cross the fork into the worker processes.
        app.extensions["valuetracker.engine"].dispose()
        # Periodic tasks: the link reminders (reminders.py), enqueued every minute.
        consumer = get_huey(app).create_consumer(workers=count, worker_type="process",
                                                 periodic=True, check_worker_health=True,
                                                 max_delay=1.0)
        # The web and the CLI look for this row before they count on the queue. The
        # thread lives in this process only: the forked workers do not inherit it.
        heartbeat = start_heartbeat(app)
        app.config["WORKER_ID"] = heartbeat.worker_id  # before the consumer forks
        heartbeat.run_beside(LostWorkCheck(app, heartbeat.engine, heartbeat.worker_id,
                                           interval=heartbeat_interval(app)))
        click.echo(f"Worker started with {count} process(es).")
        try:
            consumer.run()  # returns on SIGTERM and SIGINT, after the consumer stopped
        finally:
            heartbeat.stop()
