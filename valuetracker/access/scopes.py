"""Visibility: one SQL condition per kind of object, used by the lists and by the
single-object lookups (`lookups.py`) alike."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from ..models import Account, AccountMember, Deal, Task, User
from .roles import sees_all_accounts


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

