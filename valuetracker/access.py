"""The one place that decides who may see and change which rows, and the one module
that knows the roles.

Three layers, each used by the next:

- **Predicates** named for what they allow (`may_edit_account`, `runs_winloss_program`,
  `may_export`, …). No other module names a role: views, domain functions, the CLI and
  templates (through `Permissions`, the `can` template global) ask a predicate.
- **Visibility rules**, one SQL condition per kind of object (`account_scope`,
  `deal_scope`), used by the lists and by the single-object lookups alike.
- **Lookups** (`get_*_for_user`, and `*_access` which also say whether the user may
  change the row). Rows outside a user's scope answer 404 whether they exist or not, so
  their existence is not revealed; a row the user may see but not change answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from sqlmodel import Session, select

from .models import (
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

# --- the roles (their names and labels are listed in models/core.py ROLES) ------------
# docs/roles.md has the whole table; these are its rows.
_SEES_ALL_ACCOUNTS = frozenset({"analyst", "leader", "admin"})
_EDITS_ACCOUNTS = frozenset({"account_manager", "admin"})  # their own accounts, or all
_EDITS_EVERY_ACCOUNT = frozenset({"admin"})
_RUNS_PROGRAM = frozenset({"analyst", "admin"})
_READS_PROGRAM = frozenset({"analyst", "leader", "admin"})
_EDITS_DEALS = frozenset({"account_manager", "analyst", "admin"})
_SENDS_SUMMARIES = frozenset({"leader", "admin"})  # every account's, portfolio-wide
_EXPORTS = frozenset({"account_manager", "leader", "admin"})
_SEES_ALL_JOBS = frozenset({"leader", "admin"})
_SEES_EVERYONES_WORK = frozenset({"leader", "admin"})  # "My work" of every team
_ADMINISTERS = frozenset({"admin"})
# Who owns which account or deal is staffing: leaders decide it too (a bulk reassignment).
_REASSIGNS_EVERY_OWNER = frozenset({"leader", "admin"})
# Who may import what in the web app (the CLI is a system user, unscoped).
_IMPORTS = {
    "accounts": frozenset({"account_manager", "admin"}),
    "stakeholders": frozenset({"account_manager", "admin"}),
    "value": frozenset({"account_manager", "admin"}),
    "deals": frozenset({"analyst", "admin"}),
}


_T = TypeVar("_T")

def _role(user: Any) -> str | None:
    # The anonymous user (and no user at all, outside a request) has no role: every
    # predicate then answers False.
    return getattr(user, "role", None)


# --- predicates -------------------------------------------------------------------------


def sees_all_accounts(user: User) -> bool:
    """Analysts, leaders and admins read every account; account managers only their own."""
    return _role(user) in _SEES_ALL_ACCOUNTS


def may_edit_accounts(user: User) -> bool:
    """The role changes accounts at all (its own or every one): creates accounts, may be
    on an account team, sees edit controls on the accounts it may see."""
    return _role(user) in _EDITS_ACCOUNTS


def edits_every_account(user: User) -> bool:
    """Changes every account without being on its team (admins)."""
    return _role(user) in _EDITS_EVERY_ACCOUNT


def may_edit_account(user: User, account: Account, *, is_member: bool = False) -> bool:
    """Change this account and what belongs to it (stakeholders, value records).

    `is_member`: the user is on the account's team (the owner counts without it).
    """
    if edits_every_account(user):
        return True
    return may_edit_accounts(user) and (is_member or account.owner_id == user.id)


def may_manage_team(user: User, account: Account | None) -> bool:
    """Choose who owns an account and who is on its team: admins for every account (and
    when creating one, `account=None`), the owner for their own; team members may not."""
    if edits_every_account(user):
        return True
    return (account is not None and may_edit_accounts(user)
            and account.owner_id == user.id)


def reassigns_every_owner(user: User) -> bool:
    """Chooses the owner of every account and deal (leaders, admins): staffing."""
    return _role(user) in _REASSIGNS_EVERY_OWNER


def may_reassign_owner(user: User, account: Account, *, is_member: bool = False,
                       owner_active: bool = True) -> bool:
    """Hand the account to another owner: leaders and admins for every account, the
    owner for their own, and a team member (in a role that edits accounts) once the
    owner's user is deactivated: the team passes on a departed colleague's accounts."""
    if reassigns_every_owner(user) or may_manage_team(user, account):
        return True
    return may_edit_accounts(user) and is_member and not owner_active


def may_reassign_deal_owner(user: User) -> bool:
    """Hand the deals the user sees to another owner: whoever edits deals, and leaders."""
    return may_edit_deals(user) or reassigns_every_owner(user)


def runs_winloss_program(user: User) -> bool:
    """Runs the win/loss program for every account: interviews, guides, taxonomy, rules,
    survey links (analysts, admins)."""
    return _role(user) in _RUNS_PROGRAM


def reads_winloss_program(user: User) -> bool:
    """Reads the program: interviews, guides, analytics, quotes (not account managers,
    since interviewees may be promised anonymity)."""
    return _role(user) in _READS_PROGRAM


def may_edit_deals(user: User) -> bool:
    """Creates deals and edits or debriefs the deals it may see (leaders only read)."""
    return _role(user) in _EDITS_DEALS


def may_send_summaries(user: User) -> bool:
    """Generates and sends summaries of every account, the whole portfolio at once."""
    return _role(user) in _SENDS_SUMMARIES


def may_send_account_summaries(user: User, account: Account, *, is_member: bool = False) -> bool:
    """Generates and sends one account's summaries: its editors, and the portfolio senders."""
    return may_send_summaries(user) or may_edit_account(user, account, is_member=is_member)


def may_export(user: User) -> bool:
    """Exports the quarterly review (of the accounts it may see)."""
    return _role(user) in _EXPORTS


def may_import(user: User, kind: str | None = None) -> bool:
    """Imports CSV files of `kind` on the web (no kind: of any kind)."""
    kinds = _IMPORTS.values() if kind is None else [_IMPORTS.get(kind, frozenset())]
    return any(_role(user) in roles for roles in kinds)


def sees_all_jobs(user: User) -> bool:
    """Follows every background job, not only those it started."""
    return _role(user) in _SEES_ALL_JOBS


def sees_everyones_work(user: User) -> bool:
    """"My work" shows every team's tasks, signals and renewals, with a filter by
    assignee (leaders, admins); everyone else sees their own."""
    return _role(user) in _SEES_EVERYONES_WORK


def role_may_administer(role: str | None) -> bool:
    """The role manages users, settings, branding and the audit log."""
    return role in _ADMINISTERS


def may_administer(user: User) -> bool:
    """Manages users, settings, branding and the audit log; sees everyone's exports."""
    return role_may_administer(_role(user))


def account_editor_condition() -> Any:
    """SQL condition on User: the roles that may edit accounts (who can be on a team)."""
    return User.role.in_(sorted(_EDITS_ACCOUNTS))


def _right(predicate: Callable[[User], bool]) -> Any:
    """A `Permissions` property: `predicate` asked about the object's user."""
    return property(lambda self: predicate(self.user), doc=predicate.__doc__)


class Permissions:
    """What the current user may do, for templates (the `can` global):
    `{% if can.export %}`, `{% if can.run_program %}`. Read when used.

    Rights that depend on one object (may this user edit *this* account?) come from the
    view's lookup (`account_access` and the like), passed to the template as `can_edit`.
    """

    def __init__(self, user: Any = None) -> None:
        self._user = user  # None: whoever is signed in when a right is read

    @property
    def user(self) -> Any:
        if self._user is not None:
            return self._user
        from flask_login import current_user

        return current_user

    see_all_accounts = _right(sees_all_accounts)
    create_accounts = _right(may_edit_accounts)
    edit_deals = _right(may_edit_deals)
    run_program = _right(runs_winloss_program)
    read_program = _right(reads_winloss_program)
    send_summaries = _right(may_send_summaries)
    export = _right(may_export)
    import_files = _right(may_import)
    administer = _right(may_administer)
    see_everyones_work = _right(sees_everyones_work)


def require(allowed: bool) -> None:
    """403 unless `allowed` (a predicate's answer)."""
    if not allowed:
        abort(403)


def permission_required(predicate: Callable[[User], bool]) -> Callable[[Any], Any]:
    """View decorator: logged in, and `predicate(current_user)` (403 otherwise)."""
    from flask_login import current_user, login_required

    def decorator(view: Any) -> Any:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require(predicate(current_user))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _checked(access: tuple[_T, bool], *, write: bool) -> _T:
    """The object of an `*_access` answer; with `write`, 403 unless the user may change it."""
    found, may_change = access
    if write:
        require(may_change)
    return found


# --- visibility: one SQL condition per kind of object ---------------------------------


def account_scope(user: User, account_id_col: Any = None) -> Any:
    """A SQL condition limiting `account_id_col` (default Account.id) to the user's accounts."""
    col = Account.id if account_id_col is None else account_id_col
    if sees_all_accounts(user):
        return sa.true()
    return on_team_of(user.id, col)


def on_team_of(user_id: Any, account_id_col: Any) -> Any:
    """SQL condition: `account_id_col` is an account the user owns or is a team member
    of, whatever the role ("my accounts" on My work)."""
    member_ids = select(AccountMember.account_id).where(AccountMember.user_id == user_id)
    owned_ids = select(Account.id).where(Account.owner_id == user_id)
    return sa.or_(account_id_col.in_(owned_ids), account_id_col.in_(member_ids))


def account_editor_of(account_id: Any) -> Any:
    """SQL condition on User: may edit the account `account_id` (a value or a column):
    its owner and team members in a role that edits accounts, and those who edit every
    account. Who a task on the account may be assigned to."""
    member_ids = select(AccountMember.user_id).where(AccountMember.account_id == account_id)
    owner_ids = select(Account.owner_id).where(Account.id == account_id)
    return sa.or_(
        User.role.in_(sorted(_EDITS_EVERY_ACCOUNT)),
        sa.and_(account_editor_condition(), sa.or_(User.id.in_(member_ids),
                                                   User.id.in_(owner_ids))))


def task_scope(user: User) -> Any:
    """SQL condition: the tasks a user may see, exactly those of the accounts they see."""
    return account_scope(user, Task.account_id)


def scope_key(user: User) -> Any:
    """What `account_scope(user)` depends on, as a cache key: every account, or this user's."""
    return "all" if sees_all_accounts(user) else ("user", user.id)


def scoped_account_ids(user: User) -> Any:
    """The user's account ids as a subquery, or None when the user sees every account
    (the form the value and portfolio figures take)."""
    return None if sees_all_accounts(user) else select(Account.id).where(account_scope(user))


def deal_scope(user: User) -> Any:
    """SQL condition: the deals a user may see.

    Deals of the user's accounts; deals without an account are seen by those who see
    every account (the program, leaders) and by the deal's owner only.
    """
    if sees_all_accounts(user):
        return sa.true()
    return sa.or_(
        account_scope(user, Deal.account_id),
        sa.and_(Deal.account_id.is_(None), Deal.owner_id == user.id),
    )


# --- lookups --------------------------------------------------------------------------
# Each answers 404 for a row that is missing or outside the user's scope: the same
# answer, so existence is not revealed. The `*_access` lookups also say whether the user
# may change the row (views pass it on as `can_edit` instead of guessing);
# `get_*_for_user(..., write=True)` answers 403 when the user may not.


def account_access(session: Session, user: User, key: int | str) -> tuple[Account, bool]:
    """(the account by id or slug, may the user edit it); 404 outside the user's scope."""
    column = Account.id if isinstance(key, int) else Account.slug
    account = session.exec(select(Account).where(column == key, account_scope(user))).first()
    if account is None:
        abort(404)
    # Whoever sees only some accounts sees this one because they own it or are on its team.
    return account, may_edit_account(user, account, is_member=not sees_all_accounts(user))


def get_account_for_user(
    session: Session, user: User, key: int | str, *, write: bool = False
) -> Account:
    """The account by id or slug, if the user may see it (404) and, with write, edit it (403)."""
    return _checked(account_access(session, user, key), write=write)


def stakeholder_access(
    session: Session, user: User, stakeholder_id: int
) -> tuple[Stakeholder, Account, bool]:
    """(stakeholder, its account, may the user change them), scoped through the account."""
    row = session.exec(
        select(Stakeholder, Account).join(Account, Account.id == Stakeholder.account_id)
        .where(Stakeholder.id == stakeholder_id, account_scope(user))
    ).first()
    if row is None:
        abort(404)
    stakeholder, account = row
    return stakeholder, account, may_edit_account(user, account,
                                                  is_member=not sees_all_accounts(user))


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
    row = session.exec(
        select(Task, Account).join(Account, Account.id == Task.account_id)
        .where(Task.id == task_id, account_scope(user))
    ).first()
    if row is None:
        abort(404)
    task, account = row
    return task, account, may_edit_account(user, account, is_member=not sees_all_accounts(user))


def get_task_for_user(session: Session, user: User, task_id: int, *,
                      write: bool = False) -> tuple[Task, Account]:
    """(task, its account) if the user may see it (404) and, with write, change it (403)."""
    task, account, may_edit = task_access(session, user, task_id)
    require(may_edit or not write)
    return task, account


def get_signal_for_user(session: Session, user: User, signal_id: int) -> tuple[Signal, Account]:
    """(signal, its account) if the user sees the account (404 otherwise): signals are
    read wherever their account is."""
    row = session.exec(
        select(Signal, Account).join(Account, Account.id == Signal.account_id)
        .where(Signal.id == signal_id, account_scope(user))
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


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
    member = not sees_all_accounts(user)
    return sorted(task_id for task_id, account in rows
                  if may_edit_account(user, account, is_member=member))


# --- win/loss area ---------------------------------------------------------------
# Deals belong to accounts (open deals may have none). Account managers see and edit
# deals of their own accounts, plus account-less deals they own; analysts and admins
# run the program for all accounts; leaders read everything. Interviews are the
# program's: analysts/admins edit, leaders read, account managers get 403 (404 when
# the deal is not even theirs to see), since interviewees may be promised anonymity.


def deal_access(session: Session, user: User, deal_id: int) -> tuple[Deal, bool]:
    """(a deal the user may see, may the user change it); 404 outside `deal_scope`."""
    deal = session.exec(select(Deal).where(Deal.id == deal_id, deal_scope(user))).first()
    if deal is None:
        abort(404)
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
    interview = session.exec(
        select(WinLossInterview).join(Deal, Deal.id == WinLossInterview.deal_id)
        .where(WinLossInterview.id == interview_id, deal_scope(user))
    ).first()
    if interview is None:
        abort(404)
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
    row = session.exec(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id)).first()
    if row is None:
        abort(404)
    return row
