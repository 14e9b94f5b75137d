"""/api/v1/signals (read-only) and /api/v1/tasks: the signals of the accounts you see,
and tasks through the task form (`tasks.forms.TaskForm`) and the tasks area's write
functions (`create_task`, `update_task`, `complete_task`, `dismiss_task`,
`reopen_task`). A signal or task is seen exactly when its account is (404 otherwise);
changing a task is its account's editors' (403 for roles that only read)."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_login import current_user
from sqlmodel import select

from ... import tasks
from ...access import account_scope, get_signal_for_user, get_task_for_user, task_scope
from ...db import get_session, id_arg
from ...forms import choices
from ...models import SEVERITIES, TASK_STATUSES, Account, Signal, Task, TaskComment, User
from ...signals.registry import KINDS
from ...tasks.forms import CommentForm, TaskForm, set_choices
from ...value import account_stakeholders
from . import _core as core
from ._core import Invalid, account_slugs, bp, fields, one
from .spec import doc

SIGNAL_FIELDS = ("id", "account_id", "kind", "severity", "key", "stakeholder_id",
                 "subject_type", "subject_id", "message", "since", "opened_at", "cleared_at")
TASK_FIELDS = ("id", "account_id", "title", "stakeholder_id", "assignee_id", "due_on",
               "status", "dismissed_reason", "source", "signal_id", "play", "created_by_id",
               "created_at", "done_at", "version")
# PATCH's fields that are not the task form's: the status change and its reason.
STATUS_FIELDS = ("status", "reason")


# --- signals --------------------------------------------------------------------------------


def signal_items(signals: list[Signal]) -> list[dict[str, Any]]:
    slugs = account_slugs(get_session(), [s.account_id for s in signals])
    return [{**fields(s, SIGNAL_FIELDS), "account": slugs.get(s.account_id),
             "label": KINDS[s.kind].label if s.kind in KINDS else s.kind,
             "open": s.cleared_at is None} for s in signals]


@bp.get("/signals")
@doc("list_signals")
def list_signals() -> Any:
    """List the signals of the accounts you see (`account`, `kind`, `severity`,
    `open=true|false`), open and cleared, in id order."""
    query = core.in_account(select(Signal).join(Account, Account.id == Signal.account_id)
                            .where(account_scope(current_user)), Signal.account_id)
    kind = core.one_of("kind", sorted(KINDS))
    if kind:
        query = query.where(Signal.kind == kind)
    severity = core.one_of("severity", SEVERITIES)
    if severity:
        query = query.where(Signal.severity == severity)
    is_open = core.one_of("open", ("true", "false"))
    if is_open:
        query = query.where(Signal.cleared_at.is_(None) if is_open == "true"
                            else Signal.cleared_at.is_not(None))
    return core.listed(query, Signal.id, signal_items)


@bp.get("/signals/<int:signal_id>")
@doc("get_signal")
def get_signal(signal_id: int) -> Any:
    """Read one signal."""
    signal, _account = get_signal_for_user(get_session(), current_user, signal_id)
    return one(signal_items([signal])[0], signal)


# --- tasks ----------------------------------------------------------------------------------


def task_items(rows: list[Task]) -> list[dict[str, Any]]:
    session = get_session()
    slugs = account_slugs(session, [t.account_id for t in rows])
    user_ids = sorted({t.assignee_id for t in rows if t.assignee_id})
    emails = dict(session.exec(select(User.id, User.email).where(User.id.in_(user_ids)))
                  .all()) if user_ids else {}
    return [{**fields(t, TASK_FIELDS), "account": slugs.get(t.account_id),
             "assignee_email": emails.get(t.assignee_id or 0)} for t in rows]


def _assignee_arg(raw: str) -> int:
    """The `assignee` filter: a user id or an email (no such user: no tasks)."""
    raw = raw.strip()
    if raw.isascii() and raw.isdigit():
        return id_arg(raw) or 0
    found = get_session().exec(select(User.id).where(User.email == raw.lower())).first()
    return found or 0


@bp.get("/tasks")
@doc("list_tasks")
def list_tasks() -> Any:
    """List the tasks of the accounts you see (`account`, `assignee`: an id or email,
    `status`: open, done or dismissed; every status when not given), in id order."""
    args = request.args
    query = core.in_account(select(Task).join(Account, Account.id == Task.account_id)
                            .where(task_scope(current_user)), Task.account_id)
    if args.get("assignee", "").strip():
        if "\x00" in args["assignee"]:
            raise Invalid({"assignee": ["A user id or email."]})
        query = query.where(Task.assignee_id == _assignee_arg(args["assignee"]))
    status = core.one_of("status", TASK_STATUSES)
    if status:
        query = query.where(Task.status == status)
    return core.listed(query, Task.id, task_items)


@bp.get("/tasks/<int:task_id>")
@doc("get_task")
def get_task(task_id: int) -> Any:
    """Read one task."""
    task, _account = get_task_for_user(get_session(), current_user, task_id)
    return one(task_items([task])[0], task)


def _task_form(account: Account, task: Task | None):  # type: ignore[no-untyped-def]
    """The task form as the account's "New task" and the task's edit page build it."""
    session = get_session()
    people = account_stakeholders(session, account_id=account.id)
    options = tasks.assignee_options(session, account.id)

    def make(formdata: Any) -> TaskForm:
        form = core.form_of(TaskForm, formdata, obj=task)
        del form.account_id
        form.stakeholder_id.choices = choices({str(p.id): p.name for p in people},
                                              blank="Nobody in particular")
        set_choices(form.assignee_id, options, blank="Nobody yet")
        if task is None and formdata is None:
            form.assignee_id.data = (account.owner_id if account.owner_id in dict(options)
                                     else current_user.id if current_user.id in dict(options)
                                     else None)
        return form
    return make


def _refused(exc: tasks.TaskError) -> Invalid:
    get_session().rollback()
    return Invalid({exc.field: [exc.message]})


@bp.post("/tasks")
@doc("create_task", write=True, created=True)
def create_task() -> Any:
    """Add a task to an account (`account`: its id or slug); the assignee is the
    account's owner unless given."""
    session, account, form = core.new_in_account(lambda a: _task_form(a, None))
    try:
        task = tasks.create_task(session, account, form.data_dict(), user=current_user)
    except tasks.TaskError as exc:
        raise _refused(exc) from None
    return core.saved_new(lambda: task, lambda row: task_items([row])[0], "api.get_task",
                          "task_id")


def _status_change(task: Task, body: dict[str, Any], version: int | None) -> None:
    status = body.get("status")
    if status is None:
        if "reason" in body:
            raise Invalid({"reason": ["Give it with status: dismissed."]})
        return
    if not isinstance(status, str) or status not in TASK_STATUSES:
        raise Invalid({"status": ["One of " + ", ".join(TASK_STATUSES) + "."]})
    if "reason" in body and status != "dismissed":
        raise Invalid({"reason": ["Give it with status: dismissed."]})
    if status == task.status:
        return
    session = get_session()
    if status == "done":
        tasks.complete_task(session, task, user=current_user, expected_version=version)
    elif status == "dismissed":
        tasks.dismiss_task(session, task, body.get("reason"), user=current_user,
                           expected_version=version)
    else:
        tasks.reopen_task(session, task, user=current_user, expected_version=version)


@bp.patch("/tasks/<int:task_id>")
@doc("update_task", write=True)
def update_task(task_id: int) -> Any:
    """Update a task (only the fields given change) and change its status (`status`:
    open, done, or dismissed with a `reason`). If-Match: its ETag."""
    session = core.writing()
    task, account = get_task_for_user(session, current_user, task_id, write=True)
    body = core.json_body()
    form_body = {k: v for k, v in body.items() if k not in STATUS_FIELDS}

    def write(form: TaskForm, version: int | None) -> None:
        try:
            if form_body:
                tasks.update_task(session, task, form.data_dict(), expected_version=version,
                                  user=current_user)
                version = None  # checked once; the status change follows in the same write
            _status_change(task, body, version)
        except tasks.TaskError as exc:
            raise _refused(exc) from None

    return core.updated(task, _task_form(account, task), write,
                        lambda: task_items([task])[0], body=form_body)


# --- task comments ----------------------------------------------------------------------------


def comment_items(rows: list[Any]) -> list[dict[str, Any]]:
    return [{**fields(c, ("id", "task_id", "text", "author_id", "created_at")),
             "author": name} for c, name in rows]


@bp.get("/tasks/<int:task_id>/comments")
@doc("list_task_comments")
def list_task_comments(task_id: int) -> Any:
    """A task's comments, oldest first, with their authors' names (the task page's)."""
    task, _account = get_task_for_user(get_session(), current_user, task_id)
    query = (select(TaskComment, User.name).outerjoin(User, User.id == TaskComment.author_id)
             .where(TaskComment.task_id == task.id))
    return core.listed(query, TaskComment.id, comment_items)


@bp.post("/tasks/<int:task_id>/comments")
@doc("create_task_comment", write=True, created=True)
def create_task_comment(task_id: int) -> Any:
    """Comment on a task (`text`), as on its page: whoever may change the task."""
    session = core.writing()
    task, _account = get_task_for_user(session, current_user, task_id, write=True)
    form = core.bind_form(lambda fd: core.form_of(CommentForm, fd), core.json_body())
    try:
        comment = tasks.add_comment(session, task, form.text.data, user=current_user)
    except tasks.TaskError as exc:
        raise _refused(exc) from None
    session.commit()
    return core.created(comment_items([(comment, current_user.name)])[0], comment,
                        url_for("api.list_task_comments", task_id=task.id, _external=True))
