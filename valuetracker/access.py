"""The one place that decides who may see and change which rows.

Every view that touches an account (or anything belonging to one) starts here.
Rows outside a user's scope answer 404, so their existence is not revealed;
role-level refusals (a leader trying to edit) answer 403.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort
from sqlmodel import Session, select

from .models import Account, AccountMember, Stakeholder, User

# Roles that may change accounts, stakeholders and value records.
ACCOUNT_EDITORS = ("account_manager", "admin")
# Roles that run the win/loss program.
WINLOSS_EDITORS = ("analyst", "admin")


def account_scope(user: User, account_id_col: Any = None) -> Any:
    """A SQL condition limiting `account_id_col` (default Account.id) to the user's accounts."""
    col = Account.id if account_id_col is None else account_id_col
    if user.sees_all_accounts:
        return sa.true()
    member_ids = select(AccountMember.account_id).where(AccountMember.user_id == user.id)
    owned_ids = select(Account.id).where(Account.owner_id == user.id)
    return sa.or_(col.in_(owned_ids), col.in_(member_ids))


def scope_key(user: User) -> Any:
    """What `account_scope(user)` depends on, as a cache key: every account, or this user's."""
    return "all" if user.sees_all_accounts else ("user", user.id)


def can_edit_account(user: User, account: Account, *, is_member: bool | None = None) -> bool:
    if user.role == "admin":
        return True
    if user.role != "account_manager":
        return False
    return bool(is_member) or account.owner_id == user.id


def _is_member(session: Session, user: User, account: Account) -> bool:
    if account.owner_id == user.id:
        return True
    return (
        session.exec(
            select(AccountMember).where(
                AccountMember.account_id == account.id, AccountMember.user_id == user.id
            )
        ).first()
        is not None
    )


def get_account_for_user(
    session: Session, user: User, key: int | str, *, write: bool = False
) -> Account:
    """The account by id or slug, if the user may see it (404) and, with write, edit it (403)."""
    column = Account.id if isinstance(key, int) else Account.slug
    account = session.exec(select(Account).where(column == key)).first()
    if account is None:
        abort(404)
    member = user.sees_all_accounts or _is_member(session, user, account)
    if not member and user.role == "account_manager":
        abort(404)
    if write and not can_edit_account(user, account, is_member=member):
        abort(403)
    return account


def get_stakeholder_for_user(
    session: Session, user: User, stakeholder_id: int, *, write: bool = False
) -> Stakeholder:
    """A stakeholder, scoped through its account like every other lookup."""
    stakeholder = session.get(Stakeholder, stakeholder_id)
    if stakeholder is None:
        abort(404)
    get_account_for_user(session, user, stakeholder.account_id, write=write)
    return stakeholder


def require_role(user: User, *roles: str) -> None:
    """403 unless the user has one of the roles."""
    if user.role not in roles:
        abort(403)


def role_required(*roles: str) -> Any:
    """View decorator: logged in, and one of `roles` (403 otherwise)."""
    from functools import wraps

    from flask_login import current_user, login_required

    def decorator(view: Any) -> Any:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require_role(current_user, *roles)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --- win/loss area ---------------------------------------------------------------
# Deals belong to accounts (open deals may have none). Account managers see and edit
# deals of their own accounts, plus account-less deals they own; analysts and admins
# run the program for all accounts; leaders read everything. Interviews are the
# program's: analysts/admins edit, leaders read, account managers get 403 (404 when
# the deal is not even theirs to see), since interviewees may be promised anonymity.


def get_deal_for_user(session: Session, user: User, deal_id: int, *, write: bool = False) -> Any:
    """A deal the user may see (404 otherwise) and, with write, change (403)."""
    from .models import Deal

    deal = session.get(Deal, deal_id)
    if deal is None:
        abort(404)
    if deal.account_id is not None:
        visible = session.exec(
            select(Account.id).where(Account.id == deal.account_id,
                                     account_scope(user, Account.id))
        ).first() is not None
    else:
        visible = user.sees_all_accounts or deal.owner_id == user.id
    if not visible:
        abort(404)
    if write and user.role not in (*WINLOSS_EDITORS, "account_manager"):
        abort(403)
    return deal


def get_interview_for_user(
    session: Session, user: User, interview_id: int, *, write: bool = False
) -> Any:
    """An interview, scoped through its deal; only the program (and leaders, to read)."""
    from .models import WinLossInterview

    interview = session.get(WinLossInterview, interview_id)
    if interview is None:
        abort(404)
    get_deal_for_user(session, user, interview.deal_id)
    allowed = WINLOSS_EDITORS if write else (*WINLOSS_EDITORS, "leader")
    if user.role not in allowed:
        abort(403)
    return interview


# --- value area: entries and commitments are reached through their account's slug.


def _account_row(session: Session, user: User, slug: str, model: Any, row_id: int,
                 write: bool) -> tuple[Account, Any]:
    """(account, row of `model`) if the row belongs to that account and the user may see it."""
    account = get_account_for_user(session, user, slug, write=write)
    row = session.get(model, row_id)
    if row is None or row.account_id != account.id:
        abort(404)
    return account, row


def get_entry_for_user(
    session: Session, user: User, slug: str, entry_id: int, *, write: bool = False
) -> tuple[Account, Any]:
    """(account, value entry) if the entry belongs to that account and the user may see it."""
    from .models import ValueEntry

    return _account_row(session, user, slug, ValueEntry, entry_id, write)


def get_commitment_for_user(
    session: Session, user: User, slug: str, commitment_id: int, *, write: bool = False
) -> tuple[Account, Any]:
    """(account, commitment) if the commitment belongs to that account and the user may see it."""
    from .models import ValueCommitment

    return _account_row(session, user, slug, ValueCommitment, commitment_id, write)


# --- summaries area: anyone who sees an account reads its summaries;
# generating and sending needs an account editor, or a leader ("sends summaries").
def get_account_for_summaries(
    session: Session, user: User, key: int | str, *, write: bool = False
) -> Account:
    """The account for a summaries view: 404 outside the user's scope, 403 without rights."""
    if write and user.role == "leader":
        return get_account_for_user(session, user, key)
    return get_account_for_user(session, user, key, write=write)


def get_job_for_user(session: Session, user: User, job_id: int) -> Any:
    """A background job: its creator sees it, and leaders and admins see every job (404)."""
    from .models import Job

    job = session.get(Job, job_id)
    if job is None or (job.created_by_id != user.id and user.role not in ("leader", "admin")):
        abort(404)
    return job


# --- exports area ----------------------------------------------------------------
# Quarterly exports are for leaders and admins (every account) and account managers
# (their own accounts); analysts get 403. An export file holds the accounts of the user
# who asked for it, so only that user (or an admin) may download it: anyone else gets 404.
EXPORT_ROLES = ("account_manager", "leader", "admin")


def get_export_job_for_user(session: Session, user: User, job_id: int) -> Any:
    """An export job the user started (admins: any export job); 404 otherwise."""
    from .models import Job

    require_role(user, *EXPORT_ROLES)
    job = session.get(Job, job_id)
    if job is None or job.kind != "quarterly_export":
        abort(404)
    if job.created_by_id != user.id and user.role != "admin":
        abort(404)
    return job
