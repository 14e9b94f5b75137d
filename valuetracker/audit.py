"""The audit trail: who changed what, when, from where.

Every write function of an area records its own event here (`record`, or
`apply_changes` for an edit), so the web, the CLI, imports and the API leave the same
trail. Nothing here commits: the event is saved by the caller's commit, with the change.
Reading it back (the admin's audit log page and its CSV) is `trail_query` and
`trail_csv` with a `TrailFilter`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_login import current_user
from sqlmodel import Session, select

from .db import equal_when_set
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
    user_id, ip, via = _origin(user_id)
    if via is not None:
        summary = f"{summary} (via API token {via})"
        details = {**(details or {}), "via": f"API token {via}"}
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


def record_many(session: Session, action: str, entity: str,
                items: list[tuple[Any, str, dict[str, Any] | None]], *,
                user: User | None = None) -> None:
    """`record` for many rows at once, each (entity id, summary, details), in one
    multi-row INSERT (a refresh's plays make thousands of tasks). Does not commit."""
    if not items:
        return
    user_id, ip, via = _origin(user.id if user is not None else None)
    rows = []
    for entity_id, summary, details in items:
        if via is not None:
            summary = f"{summary} (via API token {via})"
            details = {**(details or {}), "via": f"API token {via}"}
        rows.append({"at": utcnow(), "user_id": user_id, "action": action, "entity": entity,
                     "entity_id": None if entity_id is None else str(entity_id),
                     "summary": summary[:500], "details": details, "ip": ip})
    session.execute(sa.insert(AuditEvent), rows)


def _origin(user_id: int | None) -> tuple[int | None, str | None, str | None]:
    """Who and where from, in a request: the actor (the signed-in user when none was
    given), the address, and the name of the API token it came with."""
    if not has_request_context():
        return user_id, None, None
    if user_id is None and current_user and current_user.is_authenticated:
        user_id = current_user.id
    token = g.get("api_token")
    return user_id, request.remote_addr, token.name if token is not None else None


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


# -- reading the trail ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrailFilter:
    """What the audit log page and its CSV show: events by one user, of one kind of object
    (and one object), between two dates (inclusive, UTC)."""

    user_id: int | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: date | None = None
    until: date | None = None

    def condition(self) -> Any:
        terms = equal_when_set((AuditEvent.user_id, self.user_id),
                               (AuditEvent.entity, self.entity),
                               (AuditEvent.entity_id, self.entity_id))
        if self.since:
            terms.append(AuditEvent.at >= datetime.combine(self.since, time.min, UTC))
        if self.until:
            terms.append(AuditEvent.at < datetime.combine(self.until + timedelta(days=1),
                                                          time.min, UTC))
        return sa.and_(sa.true(), *terms)


def trail_query(trail: TrailFilter) -> Any:
    """(event, the actor's e-mail) rows, newest first, for `paginate` or a CSV."""
    return (select(AuditEvent, User.email)
            .join(User, User.id == AuditEvent.user_id, isouter=True)
            .where(trail.condition())
            .order_by(AuditEvent.id.desc()))


def trail_entities(session: Session) -> list[str]:
    """The kinds of object the trail has events of, for the filter's choices."""
    return list(session.exec(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)))


def changed_fields(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """(field, before, after) of an edit's details ({field: [before, after]}); other
    details (a create's fields, an import's counts) as (key, None, value)."""
    rows: list[tuple[str, Any, Any]] = []
    for key, value in (event.details or {}).items():
        if isinstance(value, list) and len(value) == 2:
            rows.append((key, value[0], value[1]))
        else:
            rows.append((key, None, value))
    return rows


TRAIL_CSV_HEADER = ("at", "user", "action", "object", "object id", "summary", "ip",
                    "field", "before", "after")


def trail_csv(session: Session, trail: TrailFilter) -> str:
    """The filtered trail as CSV, one line per changed field (an event without details is
    one line). Text that a spreadsheet would read as a formula is written as text."""
    # Imported here: the exports package imports the area modules, which import this one.
    from .exports.safety import csv_text

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TRAIL_CSV_HEADER)
    for event, email in session.exec(trail_query(trail)):
        head = [event.at.isoformat(), email or "", event.action, event.entity,
                event.entity_id or "", event.summary, event.ip or ""]
        for field, before, after in changed_fields(event) or [("", None, None)]:
            cells = [*head, field, _cell(before), _cell(after)]
            writer.writerow([csv_text(cell) for cell in cells])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, default=str)
