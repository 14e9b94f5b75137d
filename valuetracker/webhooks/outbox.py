"""The outbox: every domain event becomes one pending `WebhookDelivery` per endpoint that
subscribed to it, added by `on_event` in the writer's own transaction, so a change and
its webhooks are saved together or not at all, whatever the write path.

Why one row per endpoint at write time (and not one event row the worker fans out):
the row is at once the outbox entry, the retry state and the delivery log line, so the
worker's only work is "send what is due", each endpoint's retries are independent, and
an endpoint added later does not receive events from before it existed. The cost is one
query for the enabled endpoints per event (a handful of rows), and nothing at all is
written when no endpoint listens.

After the commit, the worker is woken (`wake_after_commit`): a drain task is put on the
queue, so deliveries leave within a second or so; the worker's periodic drain (every
minute) catches anything else (a queue that was down, a retry that came due).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlmodel import Session, select

from .. import events
from ..models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

_WAKE_KEY = "valuetracker.webhooks.wake"
_ENDPOINTS_KEY = "valuetracker.webhooks.endpoints"


def new_event_id() -> str:
    """A `webhook-id`: unique, the same on every retry and replay of the event."""
    return "msg_" + secrets.token_hex(12)


def payload(event: events.Event) -> dict[str, Any]:
    """The JSON body of a delivery: {"type", "timestamp", "data"}. `data` names the
    account and the object the event is about, who did it, and the event's own fields."""
    data: dict[str, Any] = {"account_id": event.account_id, "object": event.entity,
                            "object_id": event.entity_id, "actor_id": event.actor_id}
    data.update(event.data)
    return {"type": event.name, "timestamp": event.at.isoformat(), "data": data}


def subscribers(session: Session, name: str) -> list[WebhookEndpoint]:
    """The enabled endpoints that want event `name`. Read once per transaction (an import
    emits thousands of events), forgotten when the transaction ends."""
    endpoints = session.info.get(_ENDPOINTS_KEY)
    if endpoints is None:
        with session.no_autoflush:
            endpoints = list(session.exec(select(WebhookEndpoint).where(
                WebhookEndpoint.enabled.is_(True))).all())  # type: ignore[attr-defined]
        session.info[_ENDPOINTS_KEY] = endpoints
        sa.event.listen(session, "after_transaction_end", _forget_endpoints, once=True)
    return [endpoint for endpoint in endpoints if endpoint.wants(name)]


def _forget_endpoints(session: Any, transaction: Any) -> None:
    session.info.pop(_ENDPOINTS_KEY, None)


@events.bulk_handler
def on_event(session: Session, batch: Sequence[events.Event]) -> None:
    """Queue each event of the batch for every endpoint that wants it (in the caller's
    transaction, one multi-row INSERT for the batch)."""
    rows: list[dict[str, Any]] = []
    for event in batch:
        endpoints = subscribers(session, event.name)
        if not endpoints:
            continue
        body = json.dumps(payload(event), separators=(",", ":"), default=str)
        event_id = new_event_id()
        rows.extend({"endpoint_id": endpoint.id, "event_id": event_id, "event": event.name,
                     "body": body, "status": "pending", "next_attempt_at": event.at}
                    for endpoint in endpoints)
    if not rows:
        return
    session.execute(sa.insert(WebhookDelivery), rows)
    wake_after_commit(session)


def wake_after_commit(session: Session) -> None:
    """Once this transaction commits, put a drain task on the worker's queue (once per
    session and commit). Without an app (a bare script) the periodic drain takes it."""
    if not has_app_context() or session.info.get(_WAKE_KEY):
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session.info[_WAKE_KEY] = True

    def after_commit(sess: Any) -> None:
        sess.info.pop(_WAKE_KEY, None)
        from .worker import wake

        try:
            wake(app)
        except Exception:  # noqa: BLE001 - the queue being down must not fail the write
            log.warning("could not wake the webhook worker; the periodic drain will send",
                        exc_info=True)

    def after_rollback(sess: Any) -> None:
        # Nothing was saved; a later commit of this session wakes the worker for nothing,
        # which costs one empty query.
        sess.info.pop(_WAKE_KEY, None)

    sa.event.listen(session, "after_commit", after_commit, once=True)
    sa.event.listen(session, "after_rollback", after_rollback, once=True)
