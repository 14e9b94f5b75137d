"""The audit trail: who changed what, when, from where."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlmodel import Session

from .models import AuditEvent


def record(
    session: Session,
    action: str,
    entity: str,
    entity_id: Any = None,
    summary: str = "",
    *,
    details: dict[str, Any] | None = None,
    user_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit saves it with the change."""
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
