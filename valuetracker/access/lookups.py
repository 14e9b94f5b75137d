"""Lookups: the row a view, the API or the CLI asks for, scoped to the user.

Each answers 404 for a row that is missing or outside the user's scope: the same
answer, so existence is not revealed. The `*_access` lookups also say whether the user
may change the row (views pass it on as `can_edit` instead of guessing);
`get_*_for_user(..., write=True)` answers 403 when the user may not.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from sqlmodel import Session, select

from ..models import (
    AccessLink,
    Account,
    AccountMember,
    Activity,
    Deal,
    Job,
    Notification,
    SavedView,
    Signal,
    Stakeholder,
    Task,
    User,
    ValueCommitment,
    ValueEntry,
    ValueSummary,
    WinLossInterview,
)
from .roles import (
    may_administer,
    may_edit_account,
    may_edit_accounts,
    may_edit_deals,
    may_export,
    may_send_summaries,
    reads_winloss_program,
    require,
    runs_winloss_program,
    sees_all_accounts,
    sees_all_jobs,
)
from .scopes import account_scope, deal_scope

_T = TypeVar("_T")


def _checked(access: tuple[_T, bool], *, write: bool) -> _T:
    """The object of an `*_access` answer; with `write`, 403 unless the user may change it."""
    found, may_change = access
    if write:
        require(may_change)
    return found


def _first_or_404(session: Session, statement: Any) -> Any:
    """The first row `statement` selects (a scoped query), else 404."""
    row = session.exec(statement).first()
    if row is None:
        abort(404)
    return row


def _with_account(session: Session, user: User, model: Any, row_id: int) -> tuple[Any, Account]:
    """(the row of `model` with that id, its account) if the user sees the account, else
    404: rows that belong to an account are seen exactly when their account is."""
    row = _first_or_404(session, select(model, Account)
                        .join(Account, Account.id == model.account_id)
                        .where(model.id == row_id, account_scope(user)))
    return row[0], row[1]


def _may_edit_seen(user: User, account: Account) -> bool:
    """May the user edit `account`, one they see through `account_scope`? Whoever sees
    only some accounts sees this one because they own it or are on its team."""
    return may_edit_account(user, account, is_member=not sees_all_accounts(user))


def account_access(session: Session, user: User, key: int | str) -> tuple[Account, bool]:
    """(the account by id or slug, may the user edit it); 404 outside the user's scope."""
    column = Account.id if isinstance(key, int) else Account.slug
    account = _first_or_404(session, select(Account).where(column == key, account_scope(user)))
    return account, _may_edit_seen(user, account)


def get_account_for_user(
    session: Session, user: User, key: int | str, *, write: bool = False
) -> Account:
    """The account by id or slug, if the user may see it (404) and, with write, edit it (403)."""
    return _checked(account_access(session, user, key), write=write)


def stakeholder_access(
    session: Session, user: User, stakeholder_id: int
) -> tuple[Stakeholder, Account, bool]:
    """(stakeholder, its account, may the user change them), scoped through the account."""
    stakeholder, account = _with_account(session, user, Stakeholder, stakeholder_id)
    return stakeholder, account, _may_edit_seen(user, account)


def get_stakeholder_for_user(
    session: Session, user: User, stakeholder_id: int, *, write: bool = False
) -> Stakeholder:
    """A stakeholder, scoped through its account like every other lookup."""
    stakeholder, _account, may_edit = stakeholder_access(session, user, stakeholder_id)
    return _checked((stakeholder, may_edit), write=write)


def _row_of_account(session: Session, account: Account, model: Any, row_id: int | None) -> Any:
    """The row of `model` with that id if it belongs to `account` (one the caller already
    looked up through this module), else 404."""
    row = session.get(model, row_id) if row_id else None
    if row is None or row.account_id != account.id:
        abort(404)
    return row


def get_account_stakeholder(session: Session, account: Account,
                            stakeholder_id: int | None) -> Stakeholder:
    """A stakeholder of `account` (chosen in a form or the query string), else 404."""
    return _row_of_account(session, account, Stakeholder, stakeholder_id)


def get_account_link(session: Session, account: Account, link_id: int, *,
                     purposes: tuple[str, ...]) -> AccessLink:
    """One of `account`'s stakeholder links, of one of `purposes`, else 404."""
    link = _row_of_account(session, account, AccessLink, link_id)
    if link.purpose not in purposes:
        abort(404)
    return link


def get_account_summary(session: Session, account: Account, summary_id: int) -> ValueSummary:
    """One of `account`'s generated summaries, else 404."""
    return _row_of_account(session, account, ValueSummary, summary_id)


# --- value area: entries and commitments are reached through their account's slug.


def get_saved_view_for_user(session: Session, user: User, view_id: int) -> SavedView:
    """One of the user's own saved views; anyone else's (or none) is a 404."""
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        abort(404)
    return view


def get_entry_for_user(
    session: Session, user: User, slug: str, entry_id: int, *, write: bool = False
) -> tuple[Account, ValueEntry]:
    """(account, value entry) if the entry belongs to that account and the user may see it."""
    account = get_account_for_user(session, user, slug, write=write)
    return account, _row_of_account(session, account, ValueEntry, entry_id)


def get_commitment_for_user(
    session: Session, user: User, slug: str, commitment_id: int, *, write: bool = False
) -> tuple[Account, ValueCommitment]:
    """(account, commitment) if the commitment belongs to that account and the user may see it."""
    account = get_account_for_user(session, user, slug, write=write)
    return account, _row_of_account(session, account, ValueCommitment, commitment_id)


def get_activity_for_user(
    session: Session, user: User, slug: str, activity_id: int, *, write: bool = False
) -> tuple[Account, Activity]:
    """(account, logged activity) if the activity belongs to that account and the user
    may see it (404) and, with write, change the account's records (403): the author and
    the account's other editors alike."""
    account = get_account_for_user(session, user, slug, write=write)
    return account, _row_of_account(session, account, Activity, activity_id)


def task_access(session: Session, user: User, task_id: int) -> tuple[Task, Account, bool]:
    """(task, its account, may the user change it): a task is seen and changed exactly
    when its account is; 404 outside the user's scope."""
    task, account = _with_account(session, user, Task, task_id)
    return task, account, _may_edit_seen(user, account)


def get_task_for_user(session: Session, user: User, task_id: int, *,
                      write: bool = False) -> tuple[Task, Account]:
    """(task, its account) if the user may see it (404) and, with write, change it (403)."""
    task, account, may_edit = task_access(session, user, task_id)
    require(may_edit or not write)
    return task, account


def get_signal_for_user(session: Session, user: User, signal_id: int) -> tuple[Signal, Account]:
    """(signal, its account) if the user sees the account (404 otherwise): signals are
    read wherever their account is."""
    return _with_account(session, user, Signal, signal_id)


def accounts_for_change(session: Session, user: User, account_ids: list[int]
                        ) -> list[tuple[Account, bool, bool]]:
    """The accounts among `account_ids` the user may see, each with whether the user is
    on its team and whether its owner's user is active (a bulk action's rights), in one
    query. Ids outside the user's scope are simply absent."""
    if not account_ids:
        return []
    member = select(AccountMember.account_id).where(AccountMember.user_id == user.id,
                                                    AccountMember.account_id == Account.id)
    owner_active = sa.func.coalesce(
        select(User.active).where(User.id == Account.owner_id).scalar_subquery(), False)
    rows = session.exec(
        select(Account, member.exists(), owner_active)
        .where(Account.id.in_(account_ids), account_scope(user))).all()
    return [(account, bool(is_member) or account.owner_id == user.id, bool(active))
            for account, is_member, active in rows]


def editable_task_ids(session: Session, user: User, task_ids: list[int]) -> list[int]:
    """Of `task_ids`, those the user may change (a bulk action on the task list)."""
    if not task_ids or not may_edit_accounts(user):
        return []
    rows = session.exec(
        select(Task.id, Account).join(Account, Account.id == Task.account_id)
        .where(Task.id.in_(task_ids), account_scope(user))).all()
    return sorted(task_id for task_id, account in rows if _may_edit_seen(user, account))


# --- win/loss area ---------------------------------------------------------------
# Deals belong to accounts (open deals may have none). Account managers see and edit
# deals of their own accounts, plus account-less deals they own; analysts and admins
# run the program for all accounts; leaders read everything. Interviews are the
# program's: analysts/admins edit, leaders read, account managers get 403 (404 when
# the deal is not even theirs to see), since interviewees may be promised anonymity.


def deal_access(session: Session, user: User, deal_id: int) -> tuple[Deal, bool]:
    """(a deal the user may see, may the user change it); 404 outside `deal_scope`."""
    deal = _first_or_404(session, select(Deal).where(Deal.id == deal_id, deal_scope(user)))
    return deal, may_edit_deals(user)


def get_deal_for_user(session: Session, user: User, deal_id: int, *, write: bool = False) -> Deal:
    """A deal the user may see (404 otherwise) and, with write, change (403)."""
    return _checked(deal_access(session, user, deal_id), write=write)


def get_deal_link(session: Session, deal: Deal, link_id: int, *,
                  purposes: tuple[str, ...]) -> AccessLink:
    """One of `deal`'s links (a deal the caller looked up here), of one of `purposes`,
    else 404."""
    link = session.get(AccessLink, link_id)
    if link is None or link.deal_id != deal.id or link.purpose not in purposes:
        abort(404)
    return link


def interview_access(session: Session, user: User,
                     interview_id: int) -> tuple[WinLossInterview, bool]:
    """(an interview, may the user record it): 404 unless its deal is in `deal_scope`,
    403 unless the user reads the program."""
    interview = _first_or_404(session, select(WinLossInterview)
                              .join(Deal, Deal.id == WinLossInterview.deal_id)
                              .where(WinLossInterview.id == interview_id, deal_scope(user)))
    require(reads_winloss_program(user))
    return interview, runs_winloss_program(user)


def get_interview_for_user(
    session: Session, user: User, interview_id: int, *, write: bool = False
) -> WinLossInterview:
    """An interview, scoped through its deal; only the program (and leaders, to read)."""
    return _checked(interview_access(session, user, interview_id), write=write)


# --- summaries area: anyone who sees an account reads its summaries;
# generating and sending needs an account editor, or a portfolio sender (leaders).


def summaries_access(session: Session, user: User, key: int | str) -> tuple[Account, bool]:
    """(the account for a summaries view, may the user generate and send its summaries)."""
    account, may_edit = account_access(session, user, key)
    return account, may_edit or may_send_summaries(user)


def get_account_for_summaries(
    session: Session, user: User, key: int | str, *, write: bool = False
) -> Account:
    """The account for a summaries view: 404 outside the user's scope, 403 without rights."""
    return _checked(summaries_access(session, user, key), write=write)


def get_job_for_user(session: Session, user: User, job_id: int) -> Job:
    """A background job: its creator sees it, and leaders and admins see every job (404)."""
    job = session.get(Job, job_id)
    if job is None or (job.created_by_id != user.id and not sees_all_jobs(user)):
        abort(404)
    return job


# --- exports area ----------------------------------------------------------------
# Quarterly exports are for leaders and admins (every account) and account managers
# (their own accounts); analysts get 403. An export file holds the accounts of the user
# who asked for it, so only that user (or an admin) may download it: anyone else gets 404.


def get_export_job_for_user(session: Session, user: User, job_id: int) -> Job:
    """An export job the user started (admins: any export job); 404 otherwise."""
    require(may_export(user))
    job = session.get(Job, job_id)
    if job is None or job.kind != "quarterly_export":
        abort(404)
    if job.created_by_id != user.id and not may_administer(user):
        abort(404)
    return job


# --- notifications ----------------------------------------------------------------
# A notification is its user's alone, whatever their role: anyone else gets 404.


def get_notification_for_user(session: Session, user: User,
                              notification_id: int) -> Notification:
    """One of the user's own notifications (404 for anyone else's, or none)."""
    return _first_or_404(session, select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id))
