"""Tasks: the list (filters, bulk actions), a task's page (comments, done, dismiss,
reopen), new and edit.

A task is seen and changed exactly when its account is (`access.task_access`): other
teams' tasks answer 404, and roles that only read (analysts, leaders) get 403 on every
change. Each write view is the access helper, the form, one function of
`valuetracker.tasks`, one commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from .. import tasks
from ..access import (
    account_scope,
    editable_task_ids,
    get_account_for_user,
    get_task_for_user,
    may_edit_accounts,
    permission_required,
    task_access,
)
from ..db import StaleEditError, get_session
from ..forms import choices
from ..listing import Column, ListState, wants_csv
from ..models import TASK_SOURCES, TASK_STATUSES, Account, Task
from ..tasks.forms import (
    BulkForm,
    CommentForm,
    DismissForm,
    StatusForm,
    TaskFilterForm,
    TaskForm,
    set_choices,
)
from ..value import account_stakeholders
from ._request import (
    account_route,
    edit_page,
    list_csv,
    list_state,
    page_arg,
    save_edit,
    show_field_error,
)

bp = Blueprint("tasks", __name__)


def _filters(state: ListState) -> tasks.TaskFilters:
    assignee = state.get("assignee") or ""
    return tasks.TaskFilters(
        assignee_id=int(assignee) if assignee.isdigit() else None,
        account_slug=state.get("account"), status=state.get("status") or "open",
        overdue=state.get("overdue") == "1", sort=state.sort)


def _back_args(state: ListState) -> dict[str, str]:
    """The list as filtered, for the bulk form's way back: the sort only when chosen."""
    if state.sort == tasks.TASK_LIST.default_sort:
        return dict(state.args)
    return state.sort_args


TASKS_CSV = (
    Column("Title", lambda r: r.task.title), Column("Account", lambda r: r.account_name),
    Column("Assignee", lambda r: r.assignee_name), Column("Stakeholder",
                                                          lambda r: r.stakeholder_name),
    Column("Due", lambda r: r.task.due_on), Column("Status", lambda r: r.task.status),
    Column("Source", lambda r: r.task.source),
)


@bp.route("/tasks")
@login_required
def index() -> Any:
    session = get_session()
    form = TaskFilterForm(request.args)
    people = tasks.team_options(session, current_user)
    form.assignee.choices = choices({"": "Anyone", **{str(i): n for i, n in people}})
    state = list_state(tasks.TASK_LIST, form, choices={
        "status": tasks.LIST_STATUSES, "overdue": tasks.OVERDUE_CHOICES})
    filters = _filters(state)
    if wants_csv(request.args):
        return list_csv(tasks.TASK_LIST, TASKS_CSV,
                        tasks.all_tasks(session, current_user, filters))
    page = tasks.list_tasks(session, current_user, filters, page=page_arg(),
                            size=int(current_app.config.get("PAGE_SIZE", 25)))
    bulk = None
    if may_edit_accounts(current_user):
        bulk = BulkForm(formdata=None, back=urlencode(_back_args(state)))
        set_choices(bulk.assignee_id, people, blank="Choose…")
    account = None
    if filters.account_slug:
        account = session.exec(select(Account).where(
            Account.slug == filters.account_slug, account_scope(current_user))).first()
    return render_template("tasks/index.html", form=form, page=page, filters=filters,
                           state=state, args=state.args, bulk=bulk, account=account,
                           today=date.today(),
                           statuses=TASK_STATUSES, sources=TASK_SOURCES)


@bp.route("/tasks/bulk", methods=["POST"])
@permission_required(may_edit_accounts)
def bulk() -> Any:
    session = get_session()
    form = BulkForm()
    set_choices(form.assignee_id, tasks.team_options(session, current_user), blank="Choose…")
    # Back to the list as it was filtered: its query string, read and written again, so
    # nothing typed into the hidden field can reach the Location header as it came.
    query = urlencode(parse_qsl(form.back.data or ""))
    back = url_for("tasks.index") + (f"?{query}" if query else "")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(back)
    chosen = form.chosen()
    if not chosen:
        flash("Choose the tasks first (tick their boxes).", "warning")
        return redirect(back)
    # Every chosen task must be one the user may change: otherwise it is not theirs to
    # see (someone else's account), the same answer as opening it.
    if editable_task_ids(session, current_user, chosen) != chosen:
        abort(404)
    try:
        if form.reassign.data:
            count = tasks.bulk_reassign(session, chosen, form.assignee_id.data,
                                        user=current_user)
            done = f"{count} task{'s' if count != 1 else ''} reassigned."
        elif form.complete.data:
            count = tasks.bulk_complete(session, chosen, user=current_user)
            done = f"{count} task{'s' if count != 1 else ''} marked done."
        elif form.set_due.data:
            if form.due_on.data is None:
                raise tasks.TaskError("due_on", "Enter the new due date (YYYY-MM-DD).")
            count = tasks.bulk_set_due(session, chosen, form.due_on.data, user=current_user)
            done = f"Due date changed on {count} task{'s' if count != 1 else ''}."
        else:
            abort(400)
    except tasks.TaskError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    session.commit()
    flash(done, "success")
    return redirect(back)


def _task_form(account: Account | None, task: Task | None = None, *,
               accounts: list[Account] | None = None) -> TaskForm:
    session = get_session()
    form = TaskForm(obj=task)
    if accounts is not None:
        form.account_id.choices = choices({str(a.id): a.name for a in accounts},
                                          blank="Choose…")
        del form.stakeholder_id
    else:
        del form.account_id
        people = account_stakeholders(session, account_id=account.id)
        form.stakeholder_id.choices = choices({str(p.id): p.name for p in people},
                                              blank="Nobody in particular")
    if account is not None:
        options = tasks.assignee_options(session, account.id)
    else:
        options = tasks.team_options(session, current_user)
    set_choices(form.assignee_id, options, blank="Nobody yet")
    if task is None and not form.is_submitted():
        form.assignee_id.data = (account.owner_id if account is not None
                                 and account.owner_id in dict(options) else
                                 current_user.id if current_user.id in dict(options) else None)
    return form


def _create(form: TaskForm, account: Account) -> Any:
    session = get_session()
    try:
        task = tasks.create_task(session, account, form.data_dict(), user=current_user)
    except tasks.TaskError as exc:
        session.rollback()
        show_field_error(form, exc)
        return None
    session.commit()
    flash("Task added.", "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.route("/tasks/new", methods=["GET", "POST"])
@permission_required(may_edit_accounts)
def new() -> Any:
    session = get_session()
    # The accounts the user may add tasks to: theirs (admins: every one), not archived.
    mine = list(session.exec(
        select(Account).where(account_scope(current_user), Account.status != "archived")
        .order_by(Account.name)).all())
    form = _task_form(None, accounts=mine)
    if form.validate_on_submit():
        if form.account_id.data is None:
            form.account_id.errors = ["Choose the account."]
        else:
            account = get_account_for_user(session, current_user, form.account_id.data,
                                           write=True)
            answer = _create(form, account)
            if answer is not None:
                return answer
    return render_template("tasks/form.html", form=form, account=None, task=None,
                           cancel=url_for("tasks.index"))


@account_route(bp, "/accounts/<slug>/tasks/new", methods=["GET", "POST"], write=True)
def new_for_account(account: Account) -> Any:
    form = _task_form(account)
    if form.validate_on_submit():
        answer = _create(form, account)
        if answer is not None:
            return answer
    return render_template("tasks/form.html", form=form, account=account, task=None,
                           cancel=url_for("accounts.show", slug=account.slug))


@bp.route("/tasks/<int:task_id>")
@login_required
def show(task_id: int) -> str:
    session = get_session()
    task, account, can_edit = task_access(session, current_user, task_id)
    return _show(task, account, can_edit)


def _show(task: Task, account: Account, can_edit: bool, *,
          comment_form: CommentForm | None = None, dismiss_form: DismissForm | None = None,
          conflict: str | None = None, status: int = 200) -> Any:
    session = get_session()
    version = str(task.version)
    names = tasks.task_names(session, task)
    return render_template(
        "tasks/show.html", task=task, account=account, can_edit=can_edit, names=names,
        comments=tasks.comments(session, task.id),
        comment_form=comment_form or CommentForm(formdata=None),
        dismiss_form=dismiss_form or DismissForm(formdata=None, version=version),
        status_form=StatusForm(formdata=None, version=version), conflict=conflict,
        statuses=TASK_STATUSES, sources=TASK_SOURCES, today=date.today()), status


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@login_required
def edit(task_id: int) -> Any:
    session = get_session()
    task, account = get_task_for_user(session, current_user, task_id, write=True)
    form = _task_form(account, task)
    conflict = None
    if form.validate_on_submit():
        saved, conflict = save_edit(
            session, form, task, entity="task",
            update=lambda: tasks.update_task(session, task, form.data_dict(),
                                             expected_version=form.version.data,
                                             user=current_user))
        if saved:
            session.commit()
            flash("Task saved.", "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    return edit_page("tasks/form.html", conflict, form=form, account=account, task=task,
                     cancel=url_for("tasks.show", task_id=task.id))


# Each status change by its URL part: the write, the form it reads, what it flashes.
_STATUS_CHANGES: dict[str, tuple[Any, type, str]] = {
    "done": (lambda s, t, f: tasks.complete_task(
        s, t, user=current_user, expected_version=f.version.data), StatusForm, "Task done."),
    "dismiss": (lambda s, t, f: tasks.dismiss_task(
        s, t, f.reason.data, user=current_user, expected_version=f.version.data),
        DismissForm, "Task dismissed."),
    "reopen": (lambda s, t, f: tasks.reopen_task(
        s, t, user=current_user, expected_version=f.version.data), StatusForm,
        "Task reopened."),
}


@bp.route("/tasks/<int:task_id>/<any(done, dismiss, reopen):change>", methods=["POST"])
@login_required
def change_status(task_id: int, change: str) -> Any:
    """Mark a task done, dismiss it (with a reason) or reopen it."""
    write, form_class, done = _STATUS_CHANGES[change]
    session = get_session()
    task, account = get_task_for_user(session, current_user, task_id, write=True)
    form = form_class()
    if not form.validate_on_submit():
        if isinstance(form, DismissForm):
            return _show(task, account, True, dismiss_form=form, status=400)
        abort(400)
    try:
        write(session, task, form)
    except tasks.TaskError as exc:
        session.rollback()
        session.refresh(task)
        return _show(task, account, True, conflict=exc.message, status=409)
    except StaleEditError:
        session.rollback()
        session.refresh(task)
        return _show(task, account, True, status=409,
                     conflict="Someone changed this task since you opened it: nothing was "
                              "changed. Here it is as it is now.")
    session.commit()
    flash(done, "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.route("/tasks/<int:task_id>/comments", methods=["POST"])
@login_required
def comment(task_id: int) -> Any:
    session = get_session()
    task, account = get_task_for_user(session, current_user, task_id, write=True)
    form = CommentForm()
    if not form.validate_on_submit():
        return _show(task, account, True, comment_form=form, status=400)
    try:
        tasks.add_comment(session, task, form.text.data, user=current_user)
    except tasks.TaskError as exc:
        session.rollback()
        form.text.errors = [exc.message]
        return _show(task, account, True, comment_form=form, status=400)
    session.commit()
    flash("Comment added.", "success")
    return redirect(url_for("tasks.show", task_id=task.id) + "#comments")

