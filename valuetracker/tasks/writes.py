"""Tasks: the write functions.

Each checks its input (raising `TaskError`, which names the refused field), records its
audit event and emits its domain event (`task.created`, `task.assigned`, `task.done`);
none commits. The web, the CLI, the plays and the API call the same functions.

The audit trail keeps ids and fields, never a task's title or a comment's text: they
may name people, and erasing a person must find nothing of them there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from .. import audit, events
from ..access import account_editor_of
from ..db import check_version
from ..forms import clean_form_data
from ..models import Account, Stakeholder, Task, TaskComment, User, utcnow
from ..validation import FieldError, field_date

TITLE_MAX = 200
TEXT_MAX = 5000  # comments and reasons, like other long texts
TASK_FIELDS = ("title", "stakeholder_id", "assignee_id", "due_on")


class TaskError(FieldError):
    """Why a task change was refused (`field`, `message`); nothing was written."""


def emit_task_event(session: Session, name: str, task: Task, *,
                    user: User | None = None) -> None:
    """The domain event of a task change (`task.created`, `task.assigned`,
    `task.done`), in the same transaction as the change: notifications and webhooks
    read it. `user` is who did it (None: a play)."""
    events.emit_many(session, [task_event(name, task, user=user)])


def task_event(name: str, task: Task, *, user: User | None = None) -> events.Event:
    """The event `emit_task_event` emits (for `events.emit_many`)."""
    return events.make_event(name, account_id=task.account_id, entity="task",
                             entity_id=task.id, user=user, data=task_payload(task))


def task_payload(task: Task) -> dict[str, Any]:
    """What a task's domain events carry (plain JSON)."""
    return {"task_id": task.id, "account_id": task.account_id,
            "stakeholder_id": task.stakeholder_id, "assignee_id": task.assignee_id,
            "due_on": task.due_on.isoformat() if task.due_on else None,
            "status": task.status, "source": task.source, "play": task.play,
            "signal_id": task.signal_id}


# --- checking input ---------------------------------------------------------------


def _int_or_none(value: Any, field: str, message: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TaskError(field, message) from None


def check_assignee(session: Session, account_id: int, assignee_id: Any) -> int | None:
    """The id, if that user is active and may edit the account (owner, team member,
    admin): a task goes to someone who can do it."""
    message = "Choose someone on the account's team."
    user_id = _int_or_none(assignee_id, "assignee_id", message)
    if user_id is None:
        return None
    found = session.exec(select(User.id).where(
        User.id == user_id, User.active.is_(True), account_editor_of(account_id))).first()
    if found is None:
        raise TaskError("assignee_id", message)
    return user_id


def _check_stakeholder(session: Session, account_id: int, stakeholder_id: Any) -> int | None:
    message = "Choose someone at this account."
    person_id = _int_or_none(stakeholder_id, "stakeholder_id", message)
    if person_id is None:
        return None
    found = session.exec(select(Stakeholder.id).where(
        Stakeholder.id == person_id, Stakeholder.account_id == account_id,
        Stakeholder.erased_at.is_(None))).first()
    if found is None:
        raise TaskError("stakeholder_id", message)
    return person_id


def check_due(day: Any) -> date | None:
    """A due date in the years the app accepts, or None (no due date)."""
    if day in (None, ""):
        return None
    return field_date(day, "due_on", "Enter the due date (YYYY-MM-DD).", error=TaskError)


def _text(value: Any, field: str, what: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise TaskError(field, what)
    if len(text) > limit:
        raise TaskError(field, f"Keep it under {limit} characters.")
    return text


def clean_task_data(session: Session, account_id: int, data: Mapping[str, Any]
                    ) -> dict[str, Any]:
    """The task's fields from `data`, trimmed and checked (TaskError)."""
    values = clean_form_data(data, TASK_FIELDS)
    title = _text(values.get("title"), "title", "Say what is to be done.", TITLE_MAX)
    if "\n" in title or "\r" in title:
        raise TaskError("title", "Keep the title on one line.")
    return {"title": title,
            "stakeholder_id": _check_stakeholder(session, account_id,
                                                 values.get("stakeholder_id")),
            "assignee_id": check_assignee(session, account_id, values.get("assignee_id")),
            "due_on": check_due(values.get("due_on"))}


def _described(task: Task, account: Account | None) -> str:
    return f"task #{task.id} on {account.name if account else 'an account'}"


# --- one task ---------------------------------------------------------------------


def create_task(session: Session, account: Account, data: Mapping[str, Any], *,
                user: User | None = None, source: str = "person",
                signal_id: int | None = None, play: str | None = None) -> Task:
    """Add a task on `account`: `data` has title, stakeholder_id, assignee_id, due_on.
    `source` is "person", or "play"/"signal" with the signal (and play) it came from.
    Records "create task", emits `task.created` and, when it has an assignee,
    `task.assigned`. Raises TaskError. Does not commit."""
    values = clean_task_data(session, account.id, data)
    task = Task(account_id=account.id, source=source, signal_id=signal_id, play=play,
                created_by_id=user.id if user is not None else None, **values)
    audit.add_created(session, task, entity="task", user=user,
                      summary=f"{_described(task, account)} created",
                      details={"source": source, "play": play, "signal_id": signal_id,
                               "assignee_id": task.assignee_id,
                               "due_on": task.due_on.isoformat() if task.due_on else None})
    emit_task_event(session, "task.created", task, user=user)
    if task.assignee_id is not None:
        emit_task_event(session, "task.assigned", task, user=user)
    return task


def _title_redacted(diff: dict[str, list[Any]]) -> dict[str, Any]:
    return {key: (["…", "…"] if key == "title" else value) for key, value in diff.items()}


def update_task(session: Session, task: Task, data: Mapping[str, Any], *,
                expected_version: Any, user: User | None = None) -> dict[str, list[Any]]:
    """Save an edited task (title, person, assignee, due date). Raises TaskError, or
    `db.StaleEditError` when someone saved it since the form was loaded at
    `expected_version`. Records "update task"; a new assignee is `task.assigned`.
    Returns the changes. Does not commit."""
    values = clean_task_data(session, task.account_id, data)
    check_version(session, task, expected_version)
    account = session.get(Account, task.account_id)
    before = task.assignee_id
    diff = audit.apply_changes(session, task, values, entity="task", redact=_title_redacted,
                               summary=f"{_described(task, account)} updated", user=user)
    if task.assignee_id is not None and task.assignee_id != before:
        emit_task_event(session, "task.assigned", task, user=user)
    return diff


_NOT_OPEN = "This task is not open any more."


def _set_status(session: Session, task: Task, status: str, *, user: User | None,
                reason: str | None = None, note: str | None = None,
                expected_version: Any = None) -> None:
    event = _change_status(session, task, status, user=user, reason=reason, note=note,
                           expected_version=expected_version)
    if event is not None:
        events.emit_many(session, [event])


def _change_status(session: Session, task: Task, status: str, *, user: User | None,
                   reason: str | None = None, note: str | None = None,
                   expected_version: Any = None) -> events.Event | None:
    """The status change and its audit event; the domain event to emit (done: `task.done`)
    is returned, so that many changes emit theirs as one batch."""
    # With the version the page showed: a change since is a StaleEditError, before the
    # status is judged (the page was not showing what is true now).
    if expected_version is not None:
        check_version(session, task, expected_version)
    else:
        task.version += 1  # a bulk action or a play: open edit forms see the change
    if (status == "open") == task.is_open:
        raise TaskError("status", "This task is open already." if task.is_open else _NOT_OPEN)
    account = session.get(Account, task.account_id)
    values = {"status": status, "dismissed_reason": reason,
              "done_at": utcnow() if status == "done" else None}
    action = {"done": "complete", "dismissed": "dismiss", "open": "reopen"}[status]
    words = {"done": "done", "dismissed": "dismissed", "open": "reopened"}[status]
    audit.apply_changes(session, task, values, entity="task", action=action, user=user,
                        redact=lambda diff: {k: v for k, v in diff.items()
                                             if k != "dismissed_reason"},
                        summary=f"{_described(task, account)} {words}")
    if note:
        session.add(TaskComment(task_id=task.id, text=note,
                                author_id=user.id if user is not None else None))
    return task_event("task.done", task, user=user) if status == "done" else None


def complete_task(session: Session, task: Task, *, user: User | None = None,
                  note: str | None = None, expected_version: Any = None) -> None:
    """Mark an open task done (a `note` is added as a comment: a play says why it closed
    the task). Records "complete task", emits `task.done`. With `expected_version`,
    `db.StaleEditError` when it changed since. Raises TaskError when it is not open.
    Does not commit."""
    _set_status(session, task, "done", user=user, note=note,
                expected_version=expected_version)


def complete_tasks(session: Session, tasks: Iterable[Task], *, user: User | None = None,
                   notes: Mapping[int, str] | None = None) -> int:
    """`complete_task` for each open one of `tasks` (a task's note from `notes`, by its
    id), their `task.done` events emitted as one batch (a refresh's plays may close
    thousands). Returns how many. Does not commit."""
    todo = [task for task in tasks if task.is_open]
    loaded = _accounts(session, {task.account_id for task in todo})
    batch = [_change_status(session, task, "done", user=user,
                            note=(notes or {}).get(task.id or 0)) for task in todo]
    del loaded
    events.emit_many(session, [event for event in batch if event is not None])
    return len(todo)


def _accounts(session: Session, ids: set[int]) -> list[Account]:
    """Load the accounts into the session (the status changes' `session.get` then costs
    no query); the caller keeps the list while it works (the identity map is weak)."""
    wanted = sorted(ids)
    found: list[Account] = []
    for start in range(0, len(wanted), 500):
        found.extend(session.exec(select(Account).where(
            Account.id.in_(wanted[start:start + 500]))).all())
    return found


def dismiss_task(session: Session, task: Task, reason: Any, *, user: User | None = None,
                 expected_version: Any = None) -> None:
    """Dismiss an open task, saying why (the reason is kept on the task). Records
    "dismiss task". Does not commit."""
    text = _text(reason, "reason", "Say why the task is dismissed.", TEXT_MAX)
    _set_status(session, task, "dismissed", user=user, reason=text,
                expected_version=expected_version)


def reopen_task(session: Session, task: Task, *, user: User | None = None,
                expected_version: Any = None) -> None:
    """Open a done or dismissed task again. Records "reopen task". Does not commit."""
    _set_status(session, task, "open", user=user, expected_version=expected_version)


def add_comment(session: Session, task: Task, text: Any, *,
                user: User | None = None) -> TaskComment:
    """Comment on a task. Records "create task_comment" (not its words). Does not commit."""
    words = _text(text, "text", "Write a comment.", TEXT_MAX)
    comment = TaskComment(task_id=task.id, text=words,
                          author_id=user.id if user is not None else None)
    return audit.add_created(session, comment, entity="task_comment", user=user,
                             summary=f"comment on task #{task.id}",
                             details={"task_id": task.id})


# --- bulk actions on the list ---------------------------------------------------------


def _tasks(session: Session, task_ids: Iterable[int]) -> list[Task]:
    ids = sorted(set(task_ids))
    if not ids:
        return []
    return list(session.exec(select(Task).where(Task.id.in_(ids)).order_by(Task.id)).all())


def _bulk_set(session: Session, tasks: list[Task], field: str, value: Any, what: str, *,
              user: User | None) -> Iterator[Task]:
    """Set `field` to `value` on the tasks where it differs, each one a new version and
    an "update task" event ("<task> <what>"). Yields each task as it is changed, so the
    caller's domain event follows that task's audit event."""
    for task in tasks:
        if getattr(task, field) == value:
            continue
        task.version += 1
        account = session.get(Account, task.account_id)
        audit.apply_changes(session, task, {field: value}, entity="task", user=user,
                            summary=f"{_described(task, account)} {what}")
        yield task


def bulk_reassign(session: Session, task_ids: Iterable[int], assignee_id: Any, *,
                  user: User | None = None) -> int:
    """Give the tasks (ids the caller checked through `access.editable_task_ids`) to one
    person, who must be on each task's account team (TaskError otherwise: none is
    changed). Records "update task" and emits `task.assigned` per task whose assignee
    changed. Returns how many changed. Does not commit."""
    tasks = _tasks(session, task_ids)
    new_id = None
    for task in tasks:
        new_id = check_assignee(session, task.account_id, assignee_id)
    if new_id is None and tasks:
        raise TaskError("assignee_id", "Choose who takes the tasks.")
    changed = 0
    for task in _bulk_set(session, tasks, "assignee_id", new_id, "reassigned", user=user):
        emit_task_event(session, "task.assigned", task, user=user)
        changed += 1
    return changed


def bulk_complete(session: Session, task_ids: Iterable[int], *,
                  user: User | None = None) -> int:
    """Mark the open ones of the tasks done (each recorded and emitted as one
    `complete_task`). Returns how many. Does not commit."""
    return complete_tasks(session, _tasks(session, task_ids), user=user)


def bulk_set_due(session: Session, task_ids: Iterable[int], due_on: Any, *,
                 user: User | None = None) -> int:
    """Move the tasks' due date (None: no due date). Records "update task" per task
    that changed. Returns how many. Does not commit."""
    day = check_due(due_on)
    return sum(1 for _task in _bulk_set(session, _tasks(session, task_ids), "due_on", day,
                                        "due date changed", user=user))


def due_in(days: int, *, today: date | None = None) -> date:
    """The day `days` after `today`."""
    return (today or date.today()) + timedelta(days=days)
