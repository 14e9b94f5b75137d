"""The roles: which role may do what, as predicates named for what they allow, and
`Permissions`, the `can` object templates ask. The only module that names a role.

docs/roles.md has the whole table.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import abort
from sqlmodel import select

from ..models import Account, AccountMember, User

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

