"""Accounts: the list (search, filters, sorting, pages), creating, editing, archiving, team.

Plain functions taking the session; they add audit events but never commit (the view or
command commits once). Every list is scoped with `access.account_scope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from . import audit
from .access import account_editor_condition, account_scope
from .db import check_version
from .forms import clean_form_data
from .listing import TEXT, Filter, ListSpec, Sort
from .models import Account, AccountMember, AuditEvent, User, slugify, utcnow
from .pagination import Page, paginate_keys

# Fields of the account form copied onto the row (team fields are handled apart).
EDITABLE_FIELDS = (
    "name", "segment", "industry", "tier", "status", "annual_revenue", "cost_to_serve",
    "renewal_date", "external_id",
)
# Status filter values beyond the real statuses: "" hides archived accounts, "all" shows all.
STATUS_ALL = "all"

# The list's sorts and filters (listing.py reads them from the URL). Ties are broken by
# name, then id; accounts without revenue or renewal date go last in both directions.
_TIER_RANK = sa.case({"strategic": 1, "key": 2, "standard": 3}, value=Account.tier, else_=4)
ACCOUNT_LIST = ListSpec(
    endpoint="accounts.index", title="Accounts",
    sorts={
        "name": Sort("Name", (sa.func.lower(Account.name),)),
        "tier": Sort("Tier", (_TIER_RANK,)),
        "revenue": Sort("Revenue", (Account.annual_revenue,), nulls_last=True),
        "renewal": Sort("Renewal", (Account.renewal_date,), nulls_last=True),
    },
    default_sort="name",
    filters=(Filter("q", "Search", TEXT), Filter("segment", "Segment"),
             Filter("tier", "Tier"), Filter("status", "Status"), Filter("owner", "Owner"),
             Filter("health", "Health")),
    tie_breaks=(sa.func.lower(Account.name), Account.id),
)
SORTS = ACCOUNT_LIST.sorts
DEFAULT_SORT = ACCOUNT_LIST.default_sort


@dataclass(frozen=True)
class AccountFilters:
    """What the account list is narrowed and ordered by (all optional)."""

    q: str = ""
    segment: str = ""
    tier: str = ""
    status: str = ""
    owner_id: int | None = None
    health: Any = None  # SQL over Account: `signals.health_condition` of a band
    sort: str = DEFAULT_SORT


def account_list_conditions(user: User, filters: AccountFilters) -> list[Any]:
    """WHERE conditions of the list on `account` alone: scope, search and filters."""
    conditions = [account_scope(user, Account.id)]
    q = filters.q.strip()
    if q:
        conditions.append(sa.or_(
            Account.name.icontains(q, autoescape=True),
            Account.industry.icontains(q, autoescape=True),
            Account.external_id.icontains(q, autoescape=True),
        ))
    if filters.segment:
        conditions.append(Account.segment == filters.segment)
    if filters.tier:
        conditions.append(Account.tier == filters.tier)
    if not filters.status:
        # Archived accounts are out of the way unless the status filter asks for them.
        conditions.append(Account.status != "archived")
    elif filters.status != STATUS_ALL:
        conditions.append(Account.status == filters.status)
    if filters.owner_id is not None:
        conditions.append(Account.owner_id == filters.owner_id)
    if filters.health is not None:
        conditions.append(filters.health)
    return conditions


def list_accounts(
    session: Session, user: User, filters: AccountFilters, *, page: int = 1, size: int = 25
) -> Page:
    """One page of the user's accounts as (Account, owner name) rows.

    Two statements: a COUNT, and the page. Counting and sorting read `account` alone
    (its ids, then the page's ids); only the page's rows are joined to their owner, so
    the cost of the join does not grow with the number of accounts.
    """
    order = ACCOUNT_LIST.order_by(filters.sort)
    keys = select(Account.id).where(*account_list_conditions(user, filters)).order_by(*order)
    return paginate_keys(session, keys, lambda page_ids: (
        select(Account, User.name.label("owner_name"))
        .join(User, User.id == Account.owner_id, isouter=True)
        .where(Account.id.in_(page_ids))
        .order_by(*order)
    ), number=page, size=size)


def all_accounts(session: Session, user: User, filters: AccountFilters) -> list[Any]:
    """Every account of the list (not one page), as `list_accounts` rows: the CSV."""
    order = ACCOUNT_LIST.order_by(filters.sort)
    return list(session.exec(
        select(Account, User.name.label("owner_name"))
        .join(User, User.id == Account.owner_id, isouter=True)
        .where(*account_list_conditions(user, filters)).order_by(*order)).all())


def account_ids(session: Session, user: User, filters: AccountFilters) -> list[int]:
    """The ids of every account of the list, in its order (a bulk action's "all matching")."""
    return list(session.exec(
        select(Account.id).where(*account_list_conditions(user, filters))
        .order_by(*ACCOUNT_LIST.order_by(filters.sort))).all())


def segment_options(session: Session, user: User) -> list[str]:
    """Segments in use among the user's accounts (for the filter and the form)."""
    rows = session.exec(
        select(Account.segment).distinct()
        .where(Account.segment.is_not(None), account_scope(user, Account.id))
        .order_by(Account.segment)
    ).all()
    return [row for row in rows if row]


def owner_options(session: Session, user: User) -> list[tuple[int, str]]:
    """(id, name) of the people who own at least one of the user's accounts, by name.

    For the list's owner filter: one indexed lookup per user row, so it does not grow
    with the number of accounts, and nobody is offered whose filter would show nothing.
    """
    owns = (select(Account.id)
            .where(Account.owner_id == User.id, account_scope(user, Account.id))
            .exists())
    return [(row[0], row[1]) for row in session.exec(
        select(User.id, User.name).where(owns).order_by(User.name, User.id)
    ).all()]


def team_candidates(session: Session) -> list[User]:
    """Active users who can own or be on an account team."""
    return list(session.exec(
        select(User).where(account_editor_condition(), User.active.is_(True))
        .order_by(User.name)
    ).all())


def name_taken(session: Session, name: str, *, exclude_id: int | None = None) -> bool:
    """Is another account called `name` (ignoring case and surrounding spaces)? The exact
    name too: SQLite's lower() folds ASCII only, so "Å" and "å" differ there while the
    unique index refuses the same name twice."""
    query = select(Account.id).where(sa.or_(Account.name == name.strip(),
                                            sa.func.lower(Account.name) == name.strip().lower()))
    if exclude_id is not None:
        query = query.where(Account.id != exclude_id)
    return session.exec(query).first() is not None


def external_id_taken(session: Session, external_id: str, *, exclude_id: int | None = None
                      ) -> bool:
    query = select(Account.id).where(Account.external_id == external_id.strip())
    if exclude_id is not None:
        query = query.where(Account.id != exclude_id)
    return session.exec(query).first() is not None


def free_slug(name: str, taken: set[str] | frozenset[str]) -> str:
    """A slug from the name, with -2, -3… appended while it is in `taken` (no query)."""
    base = slugify(name)[:180]
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def unique_slug(session: Session, name: str) -> str:
    """A slug from the name, with -2, -3… appended if it is taken (one query)."""
    base = slugify(name)[:180]
    taken = set(session.exec(
        select(Account.slug).where(
            sa.or_(Account.slug == base, Account.slug.startswith(base + "-", autoescape=True))
        )
    ).all())
    return free_slug(name, taken)


def clean_account_data(data: dict[str, Any]) -> dict[str, Any]:
    """Trim text, turn empty optional text into None; keeps only editable fields."""
    return clean_form_data(data, EDITABLE_FIELDS)


def create_account(
    session: Session, *, data: dict[str, Any], owner_id: int | None,
    member_ids: list[int] | None = None, user: User | None = None,
) -> Account:
    """Add an account (unique slug from its name) and its team.

    Records a "create account" event with the owner and members. Does not commit.
    """
    values = clean_account_data(data)
    account = Account(slug=unique_slug(session, values["name"]), owner_id=owner_id, **values)
    session.add(account)
    session.flush()
    for user_id in _members_without_owner(member_ids or [], owner_id):
        session.add(AccountMember(account_id=account.id, user_id=user_id))
    audit.record(session, "create", "account", account.id, f"account {account.name} created",
                 details={"owner_id": owner_id, "members": sorted(member_ids or [])}, user=user)
    return account


def update_account(
    session: Session, account: Account, *, data: dict[str, Any], expected_version: Any,
    owner_id: int | None = None, member_ids: list[int] | None = None, change_team: bool = False,
    keep_owner_name: bool = True, user: User | None = None,
) -> dict[str, list[Any]]:
    """Save edited facts (and, with change_team, owner and members) under optimistic locking.

    An owner kept by name from an import (`Account.owner_name`, not a user) stays while
    no user owns the account and `keep_owner_name`; choosing a user, or no owner with
    `keep_owner_name` False, clears it.

    Raises `db.StaleEditError` (nothing changed) when someone saved since the form was
    loaded. Records an "update account" event with the diff (facts, then team) and
    returns that diff. Does not commit.
    """
    check_version(session, account, expected_version)
    values = clean_account_data(data)
    # The team is not among the facts: set it first, audit it after them.
    team_diff = _set_team(session, account, owner_id, member_ids or [],
                          keep_owner_name=keep_owner_name) if change_team else {}
    return audit.apply_changes(session, account, values, entity="account",
                               summary=lambda: f"account {account.name} updated",
                               extra=team_diff, user=user)


def _members_without_owner(member_ids: list[int], owner_id: int | None) -> list[int]:
    return sorted({int(m) for m in member_ids if int(m) != owner_id})


def member_ids(session: Session, account: Account) -> list[int]:
    return sorted(session.exec(
        select(AccountMember.user_id).where(AccountMember.account_id == account.id)
    ).all())


def _set_team(session: Session, account: Account, owner_id: int | None,
              wanted: list[int], *, keep_owner_name: bool = True) -> dict[str, list[Any]]:
    diff: dict[str, list[Any]] = {}
    if owner_id != account.owner_id:
        diff["owner_id"] = [account.owner_id, owner_id]
        account.owner_id = owner_id
    if account.owner_name and (owner_id is not None or not keep_owner_name):
        diff["owner_name"] = [account.owner_name, None]
        account.owner_name = None
    current = member_ids(session, account)
    target = _members_without_owner(wanted, owner_id)
    if current != target:
        diff["members"] = [current, target]
        session.exec(sa.delete(AccountMember).where(
            AccountMember.account_id == account.id,
            AccountMember.user_id.not_in(target),
        ))
        for user_id in set(target) - set(current):
            session.add(AccountMember(account_id=account.id, user_id=user_id))
    return diff


def archive_account(session: Session, account: Account, *, user: User | None = None) -> None:
    """Set the status to archived (hidden from the list by default).

    Bumps the version so an edit form opened before the archive cannot silently undo it.
    Records an "archive account" event (nothing when already archived). Does not commit.
    """
    if account.status == "archived":
        return
    check_version(session, account, account.version)
    old = account.status
    account.status = "archived"
    account.updated_at = utcnow()
    session.add(account)
    audit.record(session, "archive", "account", account.id, f"account {account.name} archived",
                 details={"status": [old, "archived"]}, user=user)


def reassign_owner(session: Session, account: Account, owner_id: int, *,
                   user: User | None = None) -> bool:
    """Give the account to another owner (a bulk reassignment): the new owner leaves the
    team members (an owner is not also a member), the previous owner leaves the team,
    a name kept from an import is cleared. Returns whether anything changed.

    Bumps the version (an edit form opened before cannot undo it) and records an
    "update account" event with the owner's before/after. Does not commit.
    """
    if account.owner_id == owner_id and not account.owner_name:
        return False
    diff: dict[str, list[Any]] = {"owner_id": [account.owner_id, owner_id]}
    if account.owner_name:
        diff["owner_name"] = [account.owner_name, None]
    # A plain statement, not synchronised with the session's rows (nor flushing them):
    # a bulk reassignment runs this for each of a thousand accounts.
    with session.no_autoflush:
        removed = session.exec(sa.delete(AccountMember).where(
            AccountMember.account_id == account.id, AccountMember.user_id == owner_id)
            .execution_options(synchronize_session=False))
    account.version += 1  # saved with the owner: an edit form opened before is stale
    if removed.rowcount:
        diff["members"] = [[owner_id], []]
    account.owner_id, account.owner_name = owner_id, None
    account.updated_at = utcnow()
    session.add(account)
    audit.record(session, "update", "account", account.id,
                 f"account {account.name}: owner changed", details=diff, user=user)
    return True


def team(session: Session, account: Account) -> tuple[User | None, list[User]]:
    """The owner and the other team members, in one query."""
    users = session.exec(
        select(User).where(sa.or_(
            User.id == account.owner_id,
            User.id.in_(select(AccountMember.user_id)
                        .where(AccountMember.account_id == account.id)),
        )).order_by(User.name)
    ).all()
    owner = next((u for u in users if u.id == account.owner_id), None)
    return owner, [u for u in users if u.id != account.owner_id]


def last_editor(session: Session, entity: str, entity_id: int) -> str:
    """Who last changed a row (from the audit trail), for the edit-conflict message."""
    row = session.exec(
        select(User.name)
        .join(AuditEvent, AuditEvent.user_id == User.id)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id),
               AuditEvent.action.in_(("update", "archive", "create", "erase", "flag")))
        .order_by(AuditEvent.id.desc())
    ).first()
    return row or "Someone"


def facts(account: Account) -> dict[str, Any]:
    """Figures shown on the account page (margin as revenue minus cost to serve)."""
    margin = account.margin
    margin_rate: Decimal | None = None
    if margin is not None and account.annual_revenue:
        margin_rate = margin / account.annual_revenue
    return {
        "margin": margin,
        "margin_rate": margin_rate,
        "days_to_renewal": (
            (account.renewal_date - date.today()).days if account.renewal_date else None
        ),
    }
