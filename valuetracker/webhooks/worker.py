"""The worker's webhook tasks: a drain task, enqueued after each commit that queued
deliveries (`outbox.wake_after_commit`) and when a drain finds more than one batch (so
the worker's processes share a burst), and the same drain every minute as a periodic
task, which sends the retries that came due and anything a down queue missed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask
from huey import crontab

from ..db import session_scope
from .delivery import drain

log = logging.getLogger(__name__)

DRAIN_TASK = "webhooks_drain"
PERIODIC_TASK = "webhooks_drain_periodic"


def wake(app: Flask) -> None:
    """Put a drain task on the app's queue (nothing with HUEY_IMMEDIATE: the tests and
    a worker-less script drain themselves)."""
    from ..jobs import get_huey

    huey = get_huey(app)
    if not huey.immediate:
        huey.webhooks_drain()


def register_tasks(huey: Any, app: Flask) -> None:
    def run_drain() -> None:
        with app.app_context(), session_scope(app.extensions["valuetracker.engine"]) as session:
            run = drain(session, on_full_batch=lambda: wake(app))
        if run.attempted:
            log.info("webhooks: %d delivered, %d to retry, %d dead%s", run.delivered,
                     run.failed, run.dead,
                     f"; endpoint(s) {run.disabled} disabled" if run.disabled else "")

    @huey.task(name=DRAIN_TASK, retries=0)
    def webhooks_drain() -> None:
        run_drain()

    @huey.periodic_task(crontab(), name=PERIODIC_TASK, retries=0)
    def webhooks_drain_periodic() -> None:
        run_drain()

    huey.webhooks_drain = webhooks_drain
    huey.webhooks_drain_periodic = webhooks_drain_periodic


def recover(app: Flask, huey: Any, pending: Sequence[Any]) -> int:
    """Nothing to recover: a delivery held by a killed worker is due again after its
    lease, and the periodic drain takes it."""
    return 0
