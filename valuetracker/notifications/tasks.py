"""The worker's periodic tasks for notifications (listed in `jobs.TASK_MODULES`).

Every minute: the immediate e-mails waiting in the outbox (`mailing.send_immediate`;
one indexed query when there are none), and the digests that are due
(`digest.send_due_digests`: nothing before DIGEST_HOUR, then one query per period
once everyone has theirs). A consumer also runs both when it starts. Several
worker nodes each run them; the claims keep every mail single. A run lost with a
stopped worker is simply the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask
from huey import crontab

from ..db import session_scope

log = logging.getLogger(__name__)

MAIL_TASK = "notifications_mail"
DIGEST_TASK = "notifications_digest"


def register_tasks(huey: Any, app: Flask) -> None:
    from .digest import send_due_digests
    from .mailing import send_immediate

    engine = app.extensions["valuetracker.engine"]

    @huey.periodic_task(crontab(), name=MAIL_TASK, retries=0)
    def mail_notifications() -> None:
        with app.app_context(), session_scope(engine) as session:
            run = send_immediate(session)
        if run.sent or run.failed:
            log.info("notification e-mails: %d sent, %d refused", run.sent, run.failed)

    @huey.periodic_task(crontab(), name=DIGEST_TASK, retries=0)
    def send_digests() -> None:
        with app.app_context(), session_scope(engine) as session:
            runs = send_due_digests(session)
        for run in runs:
            if run.sent or run.failed:
                log.info("%s digests %s: %d sent, %d refused", run.period, run.key,
                         run.sent, run.failed)

    huey.mail_notifications = mail_notifications
    huey.send_digests = send_digests


def recover(app: Flask, huey: Any, pending: Sequence[Any]) -> int:
    """Nothing to recover: a lost run is the next run."""
    return 0
