"""Reading tasks: the task list (filters, one page), one task's comments, the people a
task may be given to, and "My work". Every list is scoped with `access.task_scope`;
each is a fixed number of statements, however many tasks there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..access import (
    account_editor_condition,
    account_editor_of,
    on_team_of,
    sees_everyones_work,
    task_scope,
)
from ..listing import TEXT, Filter, ListSpec, Sort
from ..models import Account, Signal, Stakeholder, Task, TaskComment, User
from ..pagination import Page, first_page, paginate

STATUS_ALL = "all"
LIST_STATUSES = ("open", "done", "dismissed", STATUS_ALL)

# Who a task is for and about, joined into the list's rows (the assignee also sorts).
_ASSIGNEE = aliased(User, name="task_assignee")
_PERSON = aliased(Stakeholder, name="task_person")

# The task list: by default open work by due date (no date last), then the newest. The
# `status` filter is `open` when not given; `overdue` is `1` or absent.
TASK_LIST = ListSpec(
    endpoint="tasks.index", title="Tasks",
    sorts={
        "due": Sort("Due date", (Task.due_on.is_(None), Task.due_on)),
        "account": Sort("Account", (sa.func.lower(Account.name),)),
        "assignee": Sort("Assignee", (sa.func.lower(_ASSIGNEE.name),), nulls_last=True),
        "status": Sort("Status", (Task.status,)),
        "created": Sort("Created", (Task.created_at,)),
    },
    default_sort="due",
    filters=(Filter("assignee", "Assignee"), Filter("account", "Account", TEXT),
             Filter("status", "Status"), Filter("overdue", "Overdue")),
    tie_breaks=(Task.id.desc(),))
OVERDUE_CHOICES = ("1",)


@dataclass(frozen=True)
class TaskFilters:
    """What the task list shows: one assignee's (None: anyone's), one account's (its
    slug), one status (or all), only the overdue ones."""

    assignee_id: int | None = None
    account_slug: str | None = None
    status: str = "open"
    overdue: bool = False
    sort: str = TASK_LIST.default_sort


@dataclass(frozen=True)
class TaskRow:
    """A task with the names a list shows."""

    task: Task
    account_name: str
    account_slug: str
    assignee_name: str | None
    stakeholder_name: str | None


def _all_rows_query() -> Any:
    return (select(Task, Account.name, Account.slug, _ASSIGNEE.name, _PERSON.name)
            .join(Account, Account.id == Task.account_id)
            .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Task.assignee_id)
            .outerjoin(_PERSON, sa.and_(_PERSON.id == Task.stakeholder_id,
                                        _PERSON.erased_at.is_(None))))


def _rows_query(user: User) -> Any:
    return _all_rows_query().where(task_scope(user))


def _order(sort: str = TASK_LIST.default_sort) -> list[Any]:
    return TASK_LIST.order_by(sort)


def _row(row: Any) -> TaskRow:
    return TaskRow(row[0], row[1], row[2], row[3], row[4])


def task_conditions(filters: TaskFilters, *, today: date) -> list[Any]:
    conditions = []
    if filters.assignee_id is not None:
        conditions.append(Task.assignee_id == filters.assignee_id)
    if filters.account_slug:
        conditions.append(Account.slug == filters.account_slug)
    if filters.status != STATUS_ALL:
        conditions.append(Task.status == filters.status)
    if filters.overdue:
        conditions += [Task.status == "open", Task.due_on < today]
    return conditions


def list_tasks(session: Session, user: User, filters: TaskFilters, *, page: int = 1,
               size: int = 25, today: date | None = None) -> Page:
    """One page of the user's tasks (`TaskRow`s): a COUNT and the page (the first page:
    the page with its count, in one statement)."""
    query = (_rows_query(user).where(*task_conditions(filters, today=today or date.today()))
             .order_by(*_order(filters.sort)))
    # The first page (the account page's panel, most lists' first view): one statement.
    result = (first_page(session, query, size=size) if page == 1
              else paginate(session, query, number=page, size=size))
    result.items = [_row(r) for r in result.items]
    return result


def all_tasks(session: Session, user: User | None, filters: TaskFilters, *,
              today: date | None = None) -> list[TaskRow]:
    """Every task matching `filters` (the CLI: `user` None sees every account)."""
    query = _all_rows_query()
    if user is not None:
        query = query.where(task_scope(user))
    query = query.where(*task_conditions(filters, today=today or date.today()))
    return [_row(r) for r in session.exec(query.order_by(*_order(filters.sort))).all()]


def comments(session: Session, task_id: int) -> list[tuple[TaskComment, str | None]]:
    """The task's comments, oldest first, with their authors' names."""
    return [(c, name) for c, name in session.exec(
        select(TaskComment, User.name).outerjoin(User, User.id == TaskComment.author_id)
        .where(TaskComment.task_id == task_id)
        .order_by(TaskComment.created_at, TaskComment.id)).all()]


def assignee_options(session: Session, account_id: int) -> list[tuple[int, str]]:
    """(id, name) of who a task on the account may be given to, by name."""
    return [(r[0], r[1]) for r in session.exec(
        select(User.id, User.name).where(User.active.is_(True), account_editor_of(account_id))
        .order_by(User.name, User.id)).all()]


def team_options(session: Session, user: User) -> list[tuple[int, str]]:
    """(id, name) of the people with tasks the user may see, or who own or are on the
    team of an account the user sees: the assignee filters and the bulk reassign list."""
    # EXISTS per user (an index lookup on the assignee), not IN over every task's assignee.
    assigned = select(Task.id).where(Task.assignee_id == User.id, task_scope(user))
    return [(r[0], r[1]) for r in session.exec(
        select(User.id, User.name)
        .where(User.active.is_(True),
               sa.or_(assigned.exists(), account_editor_condition()))
        .order_by(User.name, User.id)).all()]


@dataclass(frozen=True)
class TaskNames:
    """The names a task's page shows beside the task."""

    assignee: str | None
    stakeholder: str | None
    created_by: str | None
    signal: Signal | None


def task_names(session: Session, task: Task) -> TaskNames:
    """Who the task is for and about, who made it and the signal it came from: one query."""
    assignee, creator = aliased(User), aliased(User)
    row = session.exec(
        select(assignee.name, Stakeholder.name, creator.name, Signal)
        .select_from(Task)
        .outerjoin(assignee, assignee.id == Task.assignee_id)
        .outerjoin(Stakeholder, sa.and_(Stakeholder.id == Task.stakeholder_id,
                                        Stakeholder.erased_at.is_(None)))
        .outerjoin(creator, creator.id == Task.created_by_id)
        .outerjoin(Signal, Signal.id == Task.signal_id)
        .where(Task.id == task.id)).one()
    return TaskNames(row[0], row[1], row[2], row[3])


# --- My work --------------------------------------------------------------------------

MY_WORK_LIMIT = 50  # rows per panel; the panel says how many there are in all
NEW_SIGNAL_DAYS = 7
RENEWAL_DAYS = 90


@dataclass
class MyWork:
    """The home page: the open tasks (overdue first), the accounts' new signals and the
    renewals ahead, for one person (or, for leaders, everyone: `assignee_id` None)."""

    tasks: list[TaskRow]
    open_count: int
    overdue_count: int
    signals: list[Any]
    signal_count: int
    renewals: list[Account]
    renewal_count: int
    assignee_id: int | None
    everyone: bool


def my_work(session: Session, user: User, *, assignee_id: int | None = None,
            today: date | None = None) -> MyWork:
    """What `user` sees on My work. Account managers (and analysts): their own open
    tasks, their accounts' signals opened in the last week and renewals in the next 90
    days. Leaders and admins: everyone's, or with `assignee_id` one person's."""
    today = today or date.today()
    everyone = sees_everyones_work(user)
    person = assignee_id if everyone else user.id
    tasks_where = [Task.status == "open", task_scope(user)]
    if person is not None:
        tasks_where.append(Task.assignee_id == person)
    counts = session.exec(
        select(sa.func.count(),
               sa.func.coalesce(sa.func.sum(sa.case((Task.due_on < today, 1), else_=0)), 0))
        .select_from(Task).where(*tasks_where)).one()
    # The panel's tasks picked from `task` alone (its sort reads only task columns), then
    # joined to their names: the joins run for these rows, not for every open task.
    first = select(Task.id).where(*tasks_where).order_by(*_order()).limit(MY_WORK_LIMIT)
    rows = session.exec(_all_rows_query().where(Task.id.in_(first))
                        .order_by(*_order())).all()

    def accounts_of(col: Any) -> Any:
        # Whose accounts: the person's team's; everyone's for leaders without a filter.
        return sa.true() if person is None else on_team_of(person, col)

    signals, signal_count = _new_signals(session, accounts_of, today)
    renewal_where = [Account.renewal_date >= today,
                     Account.renewal_date <= today + timedelta(days=RENEWAL_DAYS),
                     Account.status == "active", accounts_of(Account.id)]
    renewal_count = session.exec(select(sa.func.count()).select_from(Account)
                                 .where(*renewal_where)).one()
    renewals = list(session.exec(select(Account).where(*renewal_where)
                                 .order_by(Account.renewal_date, Account.name)
                                 .limit(MY_WORK_LIMIT)).all())
    return MyWork(tasks=[_row(r) for r in rows], open_count=int(counts[0]),
                  overdue_count=int(counts[1]), signals=signals, signal_count=signal_count,
                  renewals=renewals, renewal_count=int(renewal_count),
                  assignee_id=person if everyone else None, everyone=everyone)


def _new_signals(session: Session, accounts_of: Any, today: date
                 ) -> tuple[list[tuple[Signal, str, str]], int]:
    """The open signals raised in the last `NEW_SIGNAL_DAYS` on the accounts: (signal,
    account name, account slug), the most severe first, and how many there are."""
    since = datetime.combine(today - timedelta(days=NEW_SIGNAL_DAYS), time.min, tzinfo=UTC)
    where = [Signal.cleared_at.is_(None), Signal.opened_at >= since,
             accounts_of(Signal.account_id)]
    count = session.exec(select(sa.func.count()).select_from(Signal).where(*where)).one()
    severity = sa.case({"high": 0, "medium": 1}, value=Signal.severity, else_=2)
    rows = session.exec(
        select(Signal, Account.name, Account.slug).join(Account, Account.id == Signal.account_id)
        .where(*where).order_by(severity, Signal.opened_at.desc(), Signal.id.desc())
        .limit(MY_WORK_LIMIT)).all()
    return [(r[0], r[1], r[2]) for r in rows], int(count)
