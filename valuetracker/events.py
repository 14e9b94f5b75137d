"""Domain events: what happened, said once, by the write function that made it happen.

A write function calls `emit(session, "value.disputed", ...)` beside its audit event,
whatever the path that called it (a web form, the API, the CLI, an import, or a
stakeholder's answer through a link). Each consumer (notifications, webhooks) registers
a `@handler` that adds its own rows (a notification, an outbox row) to the same session,
so an event is saved with the change, or not at all. Nothing here commits, sends or
blocks: delivery is the worker's job.

A write that makes many events at once (the signal refresh opening thousands of
signals, the plays' tasks) calls `emit_many` with all of them: a consumer registered
with `@bulk_handler` receives the whole list and writes its rows set-based (a few
queries and one multi-row INSERT, whatever the number of events). `emit` is
`emit_many` of one event, so each consumer's rule lives in one function.

The consumers are the modules named in `CONSUMERS`, imported on the first event, so
that every process (web, worker, CLI) has the same handlers without an import order
to remember.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from .models import User, utcnow

# Every event name, with what it means. A name not listed here is refused (a typo would
# otherwise be an event nobody can subscribe to).
EVENTS: dict[str, str] = {
    "value.confirmed": "A stakeholder confirmed a value entry (an adjusted amount confirms).",
    "value.disputed": "A stakeholder disputed a value entry.",
    "value.adjusted": "A stakeholder corrected the amount of a value entry.",
    "pulse.answered": "A stakeholder answered a loyalty pulse.",
    "stakeholder.left": "A stakeholder was marked as having left the company.",
    "stakeholder.opted_out": "A stakeholder opted out of our e-mail.",
    "deal.closed": "A deal was closed: won, lost or no decision.",
    "interview.completed": "A win/loss interview was completed.",
    "summary.sent": "A value summary was sent to a stakeholder.",
    "signal.opened": "A signal opened on an account.",
    "signal.closed": "A signal on an account cleared.",
    "task.created": "A task was created.",
    "task.assigned": "A task was assigned to someone.",
    "task.done": "A task was marked done.",
}

# The modules whose `@handler`s receive every event (imported on the first `emit`).
CONSUMERS: tuple[str, ...] = ("valuetracker.notifications.handler", "valuetracker.webhooks")


@dataclass(frozen=True)
class Event:
    """One thing that happened: its name, the account it concerns, the object it is about
    (`entity`, `entity_id`, as the audit trail names them), who did it (None for a
    stakeholder's own answer or the system), and plain JSON-ready `data`."""

    name: str
    account_id: int | None
    entity: str
    entity_id: int | None
    actor_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


Handler = Callable[[Session, Event], None]
BulkHandler = Callable[[Session, Sequence[Event]], None]
_handlers: list[Handler] = []
_bulk_handlers: list[BulkHandler] = []
_consumers_loaded = False


def handler(fn: Handler) -> Handler:
    """Register `fn(session, event)` to receive every event, in the writer's transaction."""
    if fn not in _handlers:
        _handlers.append(fn)
    return fn


def bulk_handler(fn: BulkHandler) -> BulkHandler:
    """Register `fn(session, events)` to receive every event, a list at a time (one
    event for `emit`, all of them for `emit_many`), in the writer's transaction."""
    if fn not in _bulk_handlers:
        _bulk_handlers.append(fn)
    return fn


def make_event(name: str, *, account_id: int | None, entity: str, entity_id: int | None,
               user: User | None = None, data: dict[str, Any] | None = None,
               at: datetime | None = None) -> Event:
    """An event for `emit_many` (KeyError for a name not in `EVENTS`)."""
    if name not in EVENTS:
        raise KeyError(f"unknown event {name!r}")
    return Event(name=name, account_id=account_id, entity=entity, entity_id=entity_id,
                 actor_id=user.id if user is not None else None, data=dict(data or {}),
                 at=at or utcnow())


def emit(session: Session, name: str, *, account_id: int | None, entity: str,
         entity_id: int | None, user: User | None = None,
         data: dict[str, Any] | None = None) -> Event:
    """Tell every consumer that `name` happened, inside the caller's transaction.

    Raises KeyError for a name not in `EVENTS`. Does not commit.
    """
    event = make_event(name, account_id=account_id, entity=entity, entity_id=entity_id,
                       user=user, data=data)
    emit_many(session, [event])
    return event


def emit_many(session: Session, batch: Sequence[Event]) -> None:
    """Tell every consumer of each event in `batch` (made with `make_event`), in order,
    inside the caller's transaction: what `emit` does for each, with the bulk consumers
    receiving the whole batch at once. Does not commit."""
    if not batch:
        return
    _load_consumers()
    for fn in list(_handlers):
        for event in batch:
            fn(session, event)
    for bulk in list(_bulk_handlers):
        bulk(session, batch)


def _load_consumers() -> None:
    global _consumers_loaded
    if not _consumers_loaded:
        for module in CONSUMERS:
            importlib.import_module(module)
        _consumers_loaded = True
