"""The audit trail: who changed what, when, from where.

Every write function of an area records its own event here (`record`, or
`apply_changes` for an edit), so the web, the CLI, imports and the API leave the same
trail. Nothing here commits: the event is saved by the caller's commit, with the change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlmodel import Session

from .models import AuditEvent, User, utcnow

# What becomes an event's summary: a text, or a function called once the changes are
# made (so "account {new name} updated" names the row as it is now).
Summary = str | Callable[[], str]


def record(
    session: Session,
    action: str,
    entity: str,
    entity_id: Any = None,
    summary: str = "",
    *,
    details: dict[str, Any] | None = None,
    user_id: int | None = None,
    user: User | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit saves it with the change.

    The actor is `user` (or `user_id`); in a request without either, the signed-in user.
    """
    if user is not None and user_id is None:
        user_id = user.id
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if user_id is None and current_user and current_user.is_authenticated:
            user_id = current_user.id
    event = AuditEvent(
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        summary=summary[:500],
        details=details,
        ip=ip,
    )
    session.add(event)
    return event


def add_created(session: Session, obj: Any, *, entity: str, summary: str,
                user: User | None = None, details: dict[str, Any] | None = None) -> Any:
    """Add a new row, flush it for its id, and record its "create" event; returns the row.
    Does not commit."""
    session.add(obj)
    session.flush()
    record(session, "create", entity, obj.id, summary, details=details, user=user)
    return obj


def apply_changes(
    session: Session,
    obj: Any,
    values: Mapping[str, Any],
    *,
    entity: str,
    summary: Summary,
    action: str = "update",
    extra: Mapping[str, list[Any]] | None = None,
    redact: Callable[[dict[str, list[Any]]], dict[str, Any]] | None = None,
    user: User | None = None,
) -> dict[str, list[Any]]:
    """Set the fields of `values` that differ on `obj` and record one audit event.

    The event's details are the difference as {field: [before, after]}, followed by
    `extra` (changes the caller made beside the fields, e.g. the team of an account),
    passed through `redact` when the trail must not keep the values (personal notes,
    an anonymous interviewee). A row with an `updated_at` column is stamped. The event
    is recorded even when nothing differs: a save is a save. Returns the difference
    with `extra`, unredacted. Does not commit.
    """
    diff = changes(obj, dict(values))
    for key in diff:
        setattr(obj, key, values[key])
    if extra:
        diff.update(extra)
    if hasattr(obj, "updated_at"):
        obj.updated_at = utcnow()
    session.add(obj)
    record(session, action, entity, obj.id, summary if isinstance(summary, str) else summary(),
           details=redact(diff) if redact else diff, user=user)
    return diff


def changes(obj: Any, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields of `data` that differ from `obj`, as {field: [old, new]} for the audit trail."""
    diff: dict[str, list[Any]] = {}
    for key, new in data.items():
        old = getattr(obj, key, None)
        if old != new:
            diff[key] = [_plain(old), _plain(new)]
    return diff


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
